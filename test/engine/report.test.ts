// The training report: well-formed, self-contained HTML with its charts, and every string from data escaped.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeatureCsv } from '../../handlers/cli/csv';
import { MODEL_KIND, SCHEMA_VERSION, type ModelDocument } from '../../handlers/engine/model-document';
import {
  escapeHtml,
  featureBarsSvg,
  formatNumber,
  histogramSvg,
  renderReport,
  rocSvg,
  scoreHistogram,
  thinCurve,
} from '../../handlers/engine/report';
import { trainModel } from '../../handlers/engine/train';
import type { Evaluation, ScoreResult } from '../../handlers/engine/types';

const HOSTILE = '<script>alert("x")</script>';

/** Checks that every element is closed in order (the report is written as polyglot markup: void tags self-close). */
function assertWellFormed(html: string): void {
  const body = html.replace(/^<!DOCTYPE html>\n/, '');
  const stack: string[] = [];
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes <${stack[stack.length] ?? 'nothing'}>`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], 'every element is closed');
  // No stray angle brackets outside tags: text from data must have been escaped.
  const text = body.replace(/<\/?[a-zA-Z][^<>]*>/g, '');
  assert.doesNotMatch(text, /[<>]/);
}

function trainedFixture(): { document: ModelDocument; evaluation: Evaluation } {
  const table = parseFeatureCsv(readFileSync(join(__dirname, '..', 'fixtures', 'csv', 'train-small.csv')), {
    file: 'train-small.csv',
    logType: 'csv',
  });
  const { model, evaluation } = trainModel(table, { logType: 'csv' });
  const document: ModelDocument = {
    schemaVersion: SCHEMA_VERSION,
    kind: MODEL_KIND,
    version: '2026-01-15T00-00-00Z',
    createdAt: '2026-01-15T00:00:00.000Z',
    trainingWindow: model.trainingWindow,
    models: [model],
  };
  return { document, evaluation };
}

describe('training report', () => {
  const { document, evaluation } = trainedFixture();

  it('is one well-formed page with the histogram, the ROC curve, the anomaly bars and the metrics', () => {
    const html = renderReport({ document, evaluations: { csv: evaluation } });
    assertWellFormed(html);
    assert.match(html, /^<!DOCTYPE html>/);
    assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 2);
    assert.match(html, /Score distribution of normal and attack windows/);
    assert.match(html, /<title>ROC curve<\/title>/);
    assert.ok((html.match(/<svg class="bars"/g) ?? []).length >= 1);
    assert.match(html, /ROC-AUC/);
    assert.match(html, /Per scenario/);
    assert.match(html, /mass_download/);
    assert.match(html, new RegExp(`Model version <strong>${document.version}</strong>`));
    assert.match(html, new RegExp(document.trainingWindow.start!.replace(/[.]/g, '\\.')));
  });

  it('fetches nothing and runs nothing', () => {
    const html = renderReport({ document, evaluations: { csv: evaluation } });
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /https?:|src=|@import|url\(/i);
  });

  it('escapes hostile entity, feature and log type names', () => {
    const hostileTop: ScoreResult = {
      entity: HOSTILE,
      windowStart: '2026-01-05T13:00:00.000Z',
      score: 0.99,
      anomaly: true,
      zScores: {},
      topFeatures: [{ feature: '<img onerror=x>', value: 5, expected: 1, z: 4, contribution: 2 }],
      baselineSource: 'population',
    };
    const model = { ...document.models[0], logType: `csv"><b>` };
    const html = renderReport({
      document: { ...document, version: `v<1>&"'`, models: [model] },
      evaluations: { [model.logType]: { ...evaluation, top: [hostileTop] } },
    });
    assertWellFormed(html);
    assert.ok(!html.includes(HOSTILE));
    assert.ok(html.includes(escapeHtml(HOSTILE)));
    assert.ok(!html.includes('<img'));
    assert.ok(html.includes('v&lt;1&gt;&amp;&quot;&#39;'));
    // The hostile names of the fixture's own entities are escaped too.
    assert.ok(!html.includes("o'brien"));
  });

  it('still renders a log type without an evaluation, from the metrics stored in the model', () => {
    const html = renderReport({ document, evaluations: {} });
    assertWellFormed(html);
    assert.match(html, /No held-out evaluation/);
    assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 0);
  });
});

describe('report charts', () => {
  it('bins scores by class over [0, 1], with 1.0 in the last bin', () => {
    const h = scoreHistogram([0, 0.1, 0.49, 0.5, 1, 0.99, NaN], [0, 0, -1, 1, 1, 0, 1], 4);
    assert.deepEqual(h.edges, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(h.normal, [2, 1, 0, 1]);
    assert.deepEqual(h.attack, [0, 0, 1, 1]);
  });

  it('draws a bar per non-empty bin and class, sized as a share of the class', () => {
    const svg = histogramSvg({ edges: [0, 0.5, 1], normal: [3, 1], attack: [0, 2] }, 0.5);
    assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 3);
    // Plot height 240: normal 3/4 of its class is 0.75 of the y range (which tops out at 1 for the attack bin).
    assert.match(svg, /height="180"[^>]*fill="#4c78a8"><title>normal 0–0.5: 3</);
    assert.match(svg, /height="240"[^>]*fill="#e45756"><title>attack 0.5–1: 2</);
  });

  it('draws the ROC path from the points, and explains a missing curve', () => {
    const svg = rocSvg([{ fpr: 0, tpr: 0 }, { fpr: 0, tpr: 1 }, { fpr: 1, tpr: 1 }], 1);
    assert.match(svg, /d="M52,256 L52,16 L444,16"/);
    assert.match(svg, /ROC-AUC 1</);
    assert.match(rocSvg([], null), /no ROC curve/);
  });

  it('thins a long curve but keeps both ends', () => {
    const points = Array.from({ length: 10001 }, (_, k) => ({ fpr: k / 10000, tpr: Math.sqrt(k / 10000) }));
    const thin = thinCurve(points, 100);
    assert.ok(thin.length <= 110 && thin.length > 20, `kept ${thin.length}`);
    assert.deepEqual(thin[0], points[0]);
    assert.deepEqual(thin[thin.length - 1], points[10000]);
    assert.equal(thinCurve(points.slice(0, 5), 100).length, 5);
  });

  it('draws baseline and observed bars on each feature scale', () => {
    const svg = featureBarsSvg({
      entity: 'a',
      windowStart: 't',
      score: 1,
      anomaly: true,
      zScores: {},
      topFeatures: [{ feature: 'events', value: 400, expected: 100, z: 3.2, contribution: 2 }],
      baselineSource: 'entity',
    });
    assert.match(svg, /width="55"[^>]*><title>baseline 100</);
    assert.match(svg, /width="220"[^>]*><title>observed 400</);
    assert.match(svg, /100 → 400 \(z \+3\.2\)/);
  });

  it('formats numbers for people', () => {
    assert.equal(formatNumber(null), '—');
    assert.equal(formatNumber(0.123456), '0.123');
    assert.equal(formatNumber(123456.7), '123,457');
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(Infinity), '∞');
  });
});

// The training report: one self-contained HTML page (inline CSS and SVG, no scripts, no fonts, nothing fetched)
// with, per log type, the held-out score distribution, the ROC curve, the top anomalies explained, and metrics.

import { rocCurve } from './metrics';
import type { LogTypeModel, ModelDocument } from './model-document';
import type { Evaluation, Metrics, ScoreResult } from './types';

export interface ReportInput {
  document: ModelDocument;
  /** Held-out evaluation per log type, as trainModel returned it; a log type without one shows its metrics only. */
  evaluations: Record<string, Evaluation>;
}

const NORMAL_COLOUR = '#4c78a8';
const ATTACK_COLOUR = '#e45756';
const EXPECTED_COLOUR = '#9aa5b1';
/** Top anomalies drawn per log type, and features per anomaly. */
const TOP_ANOMALIES = 5;
const TOP_FEATURES = 5;
/** A ROC curve keeps at most this many points: enough for the eye, small enough for a large held-out set. */
const ROC_POINTS = 400;

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number for people: 3 significant digits for small magnitudes, thousands grouped for large, a dash for none. */
export function formatNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x === 0) return '0';
  return String(Number(x.toPrecision(digits)));
}

export interface Histogram {
  /** Bin edges from 0 to 1; bins.length + 1 of them. */
  edges: number[];
  normal: number[];
  attack: number[];
}

/** Counts of benign (label 0 or unknown) and attack (label 1) scores in `bins` equal bins over [0, 1]. */
export function scoreHistogram(scores: ArrayLike<number>, labels: ArrayLike<number>, bins = 20): Histogram {
  const normal = new Array<number>(bins).fill(0);
  const attack = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!Number.isFinite(s)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(s * bins)));
    if (labels[i] === 1) attack[b]++;
    else normal[b]++;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, k) => k / bins), normal, attack };
}

/** Keeps the curve's shape with at most `max` points: always the ends, and a point when it moves far enough. */
export function thinCurve(points: { fpr: number; tpr: number }[], max = ROC_POINTS): { fpr: number; tpr: number }[] {
  if (points.length <= max) return points;
  const step = 2 / max;
  const kept = [points[0]];
  for (let k = 1; k < points.length - 1; k++) {
    const last = kept[kept.length - 1];
    if (points[k].fpr - last.fpr + (points[k].tpr - last.tpr) >= step) kept.push(points[k]);
  }
  kept.push(points[points.length - 1]);
  return kept;
}

// ---------------------------------------------------------------------------------------------------------------
// SVG charts

interface Plot {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const PLOT: Plot = { width: 460, height: 300, left: 52, right: 16, top: 16, bottom: 44 };

const r1 = (x: number): string => String(Math.round(x * 10) / 10);

function svgOpen(plot: Plot, title: string): string {
  return `<svg class="chart" viewBox="0 0 ${plot.width} ${plot.height}" width="${plot.width}" height="${plot.height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>`;
}

function axes(plot: Plot, xLabel: string, yLabel: string, xTicks: number[], yTicks: number[], yMax: number, yFormat: (v: number) => string): string {
  const x0 = plot.left;
  const x1 = plot.width - plot.right;
  const y0 = plot.height - plot.bottom;
  const y1 = plot.top;
  const parts: string[] = [`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" class="axis"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" class="axis"/>`];
  for (const t of xTicks) {
    const x = x0 + t * (x1 - x0);
    parts.push(`<line x1="${r1(x)}" y1="${y0}" x2="${r1(x)}" y2="${y0 + 4}" class="axis"/><text x="${r1(x)}" y="${y0 + 16}" text-anchor="middle">${formatNumber(t, 2)}</text>`);
  }
  for (const t of yTicks) {
    const y = y0 - (t / yMax) * (y0 - y1);
    parts.push(`<line x1="${x0 - 4}" y1="${r1(y)}" x2="${x1}" y2="${r1(y)}" class="grid"/><text x="${x0 - 6}" y="${r1(y + 4)}" text-anchor="end">${escapeHtml(yFormat(t))}</text>`);
  }
  parts.push(`<text x="${(x0 + x1) / 2}" y="${plot.height - 6}" text-anchor="middle" class="label">${escapeHtml(xLabel)}</text>`);
  parts.push(`<text x="12" y="${(y0 + y1) / 2}" text-anchor="middle" class="label" transform="rotate(-90 12 ${(y0 + y1) / 2})">${escapeHtml(yLabel)}</text>`);
  return parts.join('');
}

function legend(plot: Plot, entries: { colour: string; text: string }[]): string {
  const x = plot.width - plot.right - 150;
  return entries
    .map((e, k) => `<rect x="${x}" y="${plot.top + 4 + k * 16}" width="10" height="10" fill="${e.colour}"/><text x="${x + 14}" y="${plot.top + 13 + k * 16}">${escapeHtml(e.text)}</text>`)
    .join('');
}

/**
 * Score distribution of normal and attack windows. Each class is drawn as its share of its own windows, so a few
 * dozen attacks are as visible as many thousand normal windows; the threshold is a dashed line.
 */
export function histogramSvg(histogram: Histogram, threshold: number): string {
  const plot = PLOT;
  const bins = histogram.normal.length;
  const normalTotal = histogram.normal.reduce((a, b) => a + b, 0);
  const attackTotal = histogram.attack.reduce((a, b) => a + b, 0);
  const share = (c: number, total: number): number => (total === 0 ? 0 : c / total);
  let yMax = 0;
  for (let b = 0; b < bins; b++) yMax = Math.max(yMax, share(histogram.normal[b], normalTotal), share(histogram.attack[b], attackTotal));
  yMax = yMax === 0 ? 1 : Math.min(1, Math.ceil(yMax * 10) / 10);
  const x0 = plot.left;
  const w = plot.width - plot.right - plot.left;
  const y0 = plot.height - plot.bottom;
  const h = y0 - plot.top;
  const binWidth = w / bins;
  const bars: string[] = [];
  for (let b = 0; b < bins; b++) {
    const range = `${formatNumber(histogram.edges[b], 2)}–${formatNumber(histogram.edges[b + 1], 2)}`;
    const series = [
      { count: histogram.normal[b], total: normalTotal, colour: NORMAL_COLOUR, name: 'normal', offset: 0 },
      { count: histogram.attack[b], total: attackTotal, colour: ATTACK_COLOUR, name: 'attack', offset: binWidth / 2 },
    ];
    for (const s of series) {
      if (s.count === 0) continue;
      const bh = (share(s.count, s.total) / yMax) * h;
      bars.push(
        `<rect x="${r1(x0 + b * binWidth + s.offset + 0.5)}" y="${r1(y0 - bh)}" width="${r1(binWidth / 2 - 1)}" height="${r1(bh)}" fill="${s.colour}"><title>${s.name} ${range}: ${s.count}</title></rect>`,
      );
    }
  }
  const tx = x0 + Math.min(1, Math.max(0, threshold)) * w;
  const yTicks = [0, yMax / 2, yMax];
  return (
    svgOpen(plot, 'Score distribution of normal and attack windows') +
    axes(plot, 'anomaly score', 'share of windows', [0, 0.25, 0.5, 0.75, 1], yTicks, yMax, (v) => `${Math.round(v * 100)}%`) +
    bars.join('') +
    `<line x1="${r1(tx)}" y1="${plot.top}" x2="${r1(tx)}" y2="${y0}" class="threshold"/>` +
    `<text x="${r1(Math.min(tx + 4, plot.width - plot.right - 60))}" y="${plot.top + 60}">threshold ${formatNumber(threshold)}</text>` +
    legend(plot, [
      { colour: NORMAL_COLOUR, text: `normal (${normalTotal.toLocaleString('en-US')})` },
      { colour: ATTACK_COLOUR, text: `attack (${attackTotal.toLocaleString('en-US')})` },
    ]) +
    '</svg>'
  );
}

/** ROC curve with the chance diagonal; says so instead when one class is missing. */
export function rocSvg(points: { fpr: number; tpr: number }[], auc: number | null): string {
  const plot = PLOT;
  const x0 = plot.left;
  const w = plot.width - plot.right - plot.left;
  const y0 = plot.height - plot.bottom;
  const h = y0 - plot.top;
  const head = svgOpen(plot, 'ROC curve') + axes(plot, 'false-positive rate', 'true-positive rate', [0, 0.25, 0.5, 0.75, 1], [0, 0.5, 1], 1, (v) => formatNumber(v, 2));
  if (auc === null) {
    return `${head}<text x="${x0 + w / 2}" y="${plot.top + h / 2}" text-anchor="middle">no ROC curve: the held-out windows have no attacks or no normal windows</text></svg>`;
  }
  const path = thinCurve(points)
    .map((p, k) => `${k === 0 ? 'M' : 'L'}${r1(x0 + p.fpr * w)},${r1(y0 - p.tpr * h)}`)
    .join(' ');
  return (
    head +
    `<line x1="${x0}" y1="${y0}" x2="${x0 + w}" y2="${plot.top}" class="chance"/>` +
    `<path d="${path}" fill="none" stroke="${ATTACK_COLOUR}" stroke-width="2"/>` +
    `<text x="${x0 + w - 8}" y="${y0 - 10}" text-anchor="end">ROC-AUC ${formatNumber(auc, 4)}</text>` +
    '</svg>'
  );
}

/**
 * One anomaly's strongest features: per feature, the baseline's expected value and the observed value as two bars
 * on that feature's own scale (features differ by orders of magnitude), labelled with both numbers and z.
 */
export function featureBarsSvg(result: ScoreResult, features = TOP_FEATURES): string {
  const shown = result.topFeatures.slice(0, features);
  const labelWidth = 170;
  const barWidth = 220;
  const rowHeight = 34;
  const width = labelWidth + barWidth + 150;
  const height = 22 + rowHeight * Math.max(1, shown.length);
  const parts = [
    `<svg class="bars" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(`Baseline and observed features of ${result.entity}`)}">`,
    `<title>${escapeHtml(`Baseline vs observed: ${result.entity} at ${result.windowStart}`)}</title>`,
    `<rect x="${labelWidth}" y="2" width="10" height="10" fill="${EXPECTED_COLOUR}"/><text x="${labelWidth + 14}" y="11">baseline</text>`,
    `<rect x="${labelWidth + 80}" y="2" width="10" height="10" fill="${ATTACK_COLOUR}"/><text x="${labelWidth + 94}" y="11">observed</text>`,
  ];
  if (shown.length === 0) parts.push(`<text x="0" y="36">no feature explanation</text>`);
  shown.forEach((f, k) => {
    const y = 20 + k * rowHeight;
    const scale = Math.max(Math.abs(f.expected), Math.abs(f.value));
    const len = (v: number): number => (scale === 0 || !Number.isFinite(v) ? 0 : (Math.abs(v) / scale) * barWidth);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeHtml(f.feature)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${r1(len(f.expected))}" height="11" fill="${EXPECTED_COLOUR}"><title>baseline ${formatNumber(f.expected)}</title></rect>`,
      `<rect x="${labelWidth}" y="${y + 15}" width="${r1(len(f.value))}" height="11" fill="${ATTACK_COLOUR}"><title>observed ${formatNumber(f.value)}</title></rect>`,
      `<text x="${labelWidth + barWidth + 8}" y="${y + 17}">${formatNumber(f.expected)} → ${formatNumber(f.value)} (z ${f.z >= 0 ? '+' : ''}${formatNumber(f.z, 2)})</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Tables and sections

function table(headers: string[], rows: string[][], numericFrom = 1): string {
  const head = headers.map((h, k) => `<th${k >= numericFrom ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, k) => `<td${k >= numericFrom ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Held-out metrics of one log type, and its per-scenario ROC-AUC and recall when labels name scenarios. */
export function metricsTables(metrics: Metrics, trainedRows: number): string {
  const rows: [string, string][] = [
    ['windows trained on', formatNumber(trainedRows)],
    ['held-out windows', formatNumber(metrics.rows)],
    ['held-out attack windows', formatNumber(metrics.positives)],
    ['ROC-AUC', formatNumber(metrics.rocAuc, 4)],
    ['PR-AUC (average precision)', formatNumber(metrics.prAuc, 4)],
    ['threshold', formatNumber(metrics.threshold, 4)],
    ['precision at threshold', formatNumber(metrics.precision)],
    ['recall at threshold', formatNumber(metrics.recall)],
    ['false-positive rate at threshold', formatNumber(metrics.falsePositiveRate)],
  ];
  let html = table(['metric', 'value'], rows.map(([k, v]) => [escapeHtml(k), escapeHtml(v)]));
  const scenarios = Object.entries(metrics.perScenario);
  if (scenarios.length > 0) {
    html += `<h3>Per scenario</h3>${table(
      ['scenario', 'windows', 'ROC-AUC', 'recall'],
      scenarios.map(([name, m]) => [escapeHtml(name), formatNumber(m.rows), formatNumber(m.rocAuc, 4), formatNumber(m.recall)].map((c, k) => (k === 0 ? c : escapeHtml(c)))),
    )}`;
  }
  return html;
}

function topAnomalies(top: ScoreResult[]): string {
  if (top.length === 0) return '<p class="note">No held-out windows to explain.</p>';
  return top
    .slice(0, TOP_ANOMALIES)
    .map(
      (r) =>
        `<div class="anomaly"><h4>${escapeHtml(r.entity)}</h4><p class="note">window ${escapeHtml(r.windowStart || 'unknown')} · score ${escapeHtml(formatNumber(r.score, 4))}${r.anomaly ? ' · <strong>anomaly</strong>' : ''} · baseline: ${escapeHtml(r.baselineSource === 'entity' ? "the entity's own history" : 'the population')}</p>${featureBarsSvg(r)}</div>`,
    )
    .join('');
}

function weightsTable(model: LogTypeModel): string {
  const rows = model.featureNames.map((name, j) => [
    escapeHtml(name),
    escapeHtml(model.transforms[j]?.kind ?? ''),
    escapeHtml(formatNumber(model.logistic.weights[2 * j])),
    escapeHtml(formatNumber(model.logistic.weights[2 * j + 1])),
  ]);
  return table(['feature', 'transform', 'weight above normal', 'weight below normal'], rows, 2);
}

function windowText(window: { start: string | null; end: string | null }): string {
  return window.start === null ? 'rows without times' : `${window.start} to ${window.end ?? window.start}`;
}

function logTypeSection(model: LogTypeModel, evaluation: Evaluation | undefined, index: number): string {
  const id = `log-type-${index}`;
  const charts =
    evaluation === undefined
      ? '<p class="note">No held-out evaluation was kept for this log type; the metrics are those stored in the model.</p>'
      : `<div class="charts"><figure>${histogramSvg(scoreHistogram(evaluation.scores, evaluation.labels), model.threshold)}<figcaption>Held-out score distribution; each class as a share of its own windows.</figcaption></figure><figure>${rocSvg(
          rocCurve(evaluation.scores, evaluation.labels),
          evaluation.metrics.rocAuc,
        )}<figcaption>ROC curve on the held-out, later slice of time.</figcaption></figure></div>`;
  const metrics = evaluation?.metrics ?? model.metrics;
  return (
    `<section id="${id}"><h2>${escapeHtml(model.logType)}</h2>` +
    `<p class="note">Training window ${escapeHtml(windowText(model.trainingWindow))} · ${escapeHtml(formatNumber(model.featureNames.length))} features · ${escapeHtml(formatNumber(Object.keys(model.baseline.entities).length))} entities with their own baseline${model.specHash ? ` · spec ${escapeHtml(model.specHash.slice(0, 12))}` : ''}</p>` +
    charts +
    `<h3>Metrics</h3>${metricsTables(metrics, model.trainedRows)}` +
    `<h3>Top anomalies: baseline vs observed</h3>${topAnomalies(evaluation?.top ?? [])}` +
    `<h3>Logistic weights</h3>${weightsTable(model)}` +
    '</section>'
  );
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1000px;padding:0 1rem;color:#1f2933}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #d9dee3;padding-bottom:.3rem;margin-top:2.5rem}
.note{color:#52606d;font-size:.9rem}table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border-bottom:1px solid #e4e7eb;padding:.25rem .7rem;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{color:#52606d;font-size:.8rem}
svg text{font-size:11px;fill:#323f4b}svg .label{font-size:12px}.axis{stroke:#7b8794}.grid{stroke:#e4e7eb}.chance{stroke:#9aa5b1;stroke-dasharray:4 4}
.threshold{stroke:#323f4b;stroke-dasharray:5 3}.anomaly h4{margin:1rem 0 0;word-break:break-all}nav a{margin-right:1rem}`;

/** The whole report as one HTML string. Pure: the caller writes it wherever it goes. */
export function renderReport(input: ReportInput): string {
  const { document, evaluations } = input;
  const nav = document.models.map((m, k) => `<a href="#log-type-${k}">${escapeHtml(m.logType)}</a>`).join('');
  const sections = document.models.map((m, k) => logTypeSection(m, evaluations[m.logType], k)).join('');
  return (
    '<!DOCTYPE html>\n' +
    '<html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>' +
    `<title>${escapeHtml(`Training report ${document.version}`)}</title><style>${STYLE}</style></head><body>` +
    `<h1>panther-anomaly training report</h1>` +
    `<p class="note">Model version <strong>${escapeHtml(document.version)}</strong> · created ${escapeHtml(document.createdAt)} · training window ${escapeHtml(windowText(document.trainingWindow))} · schema ${escapeHtml(String(document.schemaVersion))}</p>` +
    `<nav>${nav}</nav>${sections}</body></html>\n`
  );
}

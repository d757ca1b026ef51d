// Synthesizes the stack in process from the fixture config, for the tests of test/modules/.
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { buildStack, PantherAnomalyStack, STACK_NAME } from '../../main';
import { DeploymentConfig, ImageMode, parseConfig } from '../../modules/config';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const FIXTURE_DIR = join(REPO_ROOT, 'test', 'fixtures', 'stack');
export const FIXTURE_BUNDLES = join(FIXTURE_DIR, 'bundles');
// Where `cdktf synth` would put the stack; fixed so build contexts come out as the same relative path everywhere.
export const STACK_DIR = join(REPO_ROOT, 'cdktf.out', 'stacks', STACK_NAME);

// Synthesized Terraform JSON is read by key path; `any` keeps those reads short.
export type Json = Record<string, any>;

export function fixtureRawConfig(): Json {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'config.json'), 'utf8'));
}

export function fixtureConfig(overrides: Json = {}): DeploymentConfig {
  return parseConfig({ ...fixtureRawConfig(), ...overrides }, { name: 'config.json', baseDir: FIXTURE_DIR });
}

export interface Synthesized {
  stack: PantherAnomalyStack;
  /** The stack's Terraform JSON as text (cdktf's Testing.synth: sorted keys, no metadata). */
  text: string;
  json: Json;
}

export function synthFixture(
  imageMode: ImageMode,
  overrides: Json = {},
  bundlesDir: string = FIXTURE_BUNDLES,
): Synthesized {
  const stack = buildStack(Testing.app(), fixtureConfig(overrides), { imageMode, bundlesDir, stackDir: STACK_DIR });
  const text = Testing.synth(stack);
  return { stack, text, json: JSON.parse(text) };
}

/** The single resource of a type, or fails naming the type and how many there were. */
export function only(json: Json, type: string): Json {
  const all = Object.values(json.resource?.[type] ?? {}) as Json[];
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The logical id of the one resource of a type, for building the references other resources hold. */
export function onlyId(json: Json, type: string): string {
  const ids = Object.keys(json.resource?.[type] ?? {});
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
}

/** The resource of a type whose attribute has a value, e.g. the function named `pa-test-training`. */
export function byAttribute(json: Json, type: string, attribute: string, value: unknown): [string, Json] {
  const match = Object.entries((json.resource?.[type] ?? {}) as Record<string, Json>).filter(
    ([, resource]) => resource[attribute] === value,
  );
  if (match.length !== 1) throw new Error(`expected one ${type} with ${attribute}=${String(value)}, found ${match.length}`);
  return match[0];
}

export function ref(type: string, id: string, attribute: string): string {
  return `\${${type}.${id}.${attribute}}`;
}

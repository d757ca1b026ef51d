// Structural mutations of a JSON document for fuzzing: replace, delete or duplicate a value at a path, and text
// mutations of its serialization (cut short, a character changed). Pure: the input is never modified.
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonPath = (string | number)[];

/** Every path in the document, the root included, in document order. */
export function pathsOf(value: Json, prefix: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

export type Mutation =
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'delete'; at: number }
  | { kind: 'addKey'; at: number; key: string; value: Json };

/** A deep copy with the mutation applied; `at` picks a path modulo the number of paths. */
export function applyMutation(doc: Json, m: Mutation): Json {
  const copy = structuredClone(doc);
  const paths = pathsOf(copy);
  const path = paths[m.at % paths.length];
  if (path.length === 0) return m.kind === 'replace' ? m.value : copy;
  let parent = copy as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (m.kind === 'replace') parent[last] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
      // defineProperty, so a `__proto__` key is an own key as JSON.parse would make it.
      Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return copy;
}

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'];

export const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, -1, 0, 1e308, -1e308, 0.5, '', 'x'.repeat(10_000), [], {}, true, '\u0000', '__proto__'),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: oddValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('addKey' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...POLLUTION_KEYS), fc.string({ maxLength: 8 })),
    value: oddValue,
  }),
);

/** The document's JSON with one to three mutations, then maybe cut short or with one character changed. */
export function mutatedText(doc: Json): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.oneof(
        fc.constant({ kind: 'none' as const }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
        fc.record({ kind: fc.constant('char' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), char: fc.string({ minLength: 1, maxLength: 1 }) }),
      ),
    )
    .map(([mutations, edit]) => {
      const text = JSON.stringify(mutations.reduce(applyMutation, doc)) ?? '';
      if (edit.kind === 'none') return text;
      const i = Math.floor(text.length * edit.at);
      return edit.kind === 'cut' ? text.slice(0, i) : text.slice(0, i) + edit.char + text.slice(i + 1);
    });
}

export type { Json };

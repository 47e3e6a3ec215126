import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interval, map, of } from 'rxjs';
import ts from 'typescript';
import { encode, sse, toResponse } from 'rx-sse';
import { createChannel } from 'rx-sse/channel';
import { fromSse } from 'rx-sse/client';
import { fromEventSource } from 'rx-sse/browser';
import { compileSnippets, type SnippetDiagnostic } from './support/snippets.js';

// The mistakes the types must catch, checked twice: here by `npm run typecheck` (a
// `@ts-expect-error` whose error vanished fails it), and below by mocha, which compiles snippets
// with the compiler API and asserts both directions: an error, naming the key, for each mistake,
// and none for the valid uses beside them.
interface Foo {
  n: number;
}

/** Never called: the calls are here for the compiler only. */
export function mistakes(): unknown[] {
  return [
    // @ts-expect-error NestJS's `type` is `event` here
    sse(() => interval(1000).pipe(map((i) => ({ type: 'tick', data: i })))),
    // @ts-expect-error the event type is `event`, not `name`
    toResponse(of({ name: 'tick', data: 1 })),
    // @ts-expect-error an event's own id is `id`
    createChannel().publish({ lastEventId: '1', data: 1 }),
    // @ts-expect-error without decode, data is the text: fromSse cannot claim Foo
    fromSse<Foo>('http://127.0.0.1/'),
    // @ts-expect-error decode is required for anything but string
    fromSse<Foo>('http://127.0.0.1/', { readTimeout: 45_000 }),
    // @ts-expect-error without decode, data is the text
    fromEventSource<Foo>('/events'),
    fromSse('http://127.0.0.1/', { decode: JSON.parse }).pipe(
      map((message): Foo => {
        // @ts-expect-error JSON.parse returns any: the data is unknown until narrowed
        return message.data;
      }),
    ),
  ];
}

const root = join(import.meta.dirname, '..');

/** Compiled once, by the first spec that needs it: one program for all the snippets. */
let compiled: Map<string, SnippetDiagnostic[]> | undefined;

const header = `import { interval, map, of, type Observable } from 'rxjs';
import { encode, preEncode, sse, toResponse, type SseEvent } from 'rx-sse';
import { createChannel } from 'rx-sse/channel';
import { fromSse, type SseMessage } from 'rx-sse/client';
import { fromEventSource, type EventSourceMessage } from 'rx-sse/browser';
export interface Foo { n: number }
export type IsAny<T> = 0 extends 1 & T ? true : false;
export const used = [interval, map, of, encode, preEncode, sse, toResponse, createChannel, fromSse, fromEventSource];
export type Used = [Observable<SseEvent>, SseMessage, EventSourceMessage];
`;

/** The keys other libraries use for an event's fields, each where a user would write it. */
const nearMisses = ['type', 'name', 'lastEventId'] as const;

const eventSites = (key: string): Record<string, string> => ({
  [`sse map ${key}`]: `export const l = sse(() => interval(1000).pipe(map((i) => ({ ${key}: 'tick', data: i }))));`,
  [`async sse ${key}`]: `export const l = sse(async () => of({ ${key}: 'tick', data: 1 }));`,
  [`toResponse ${key}`]: `export const r = toResponse(interval(1000).pipe(map((i) => ({ ${key}: 'x', data: i }))));`,
  [`toResponse handler ${key}`]: `export const r = toResponse(() => of({ ${key}: 'x', data: 1 }));`,
  [`publish ${key}`]: `export const id = createChannel().publish({ ${key}: 'x', data: 1 });`,
  [`annotated ${key}`]: `export const e: Observable<SseEvent> = of(1).pipe(map((i) => ({ ${key}: 'x', data: i })));`,
  [`encode ${key}`]: `export const f = encode({ ${key}: 'x', data: 1 });`,
  [`preEncode ${key}`]: `export const f = preEncode({ ${key}: 'x', data: 1 });`,
  [`onError ${key}`]: `export const l = sse(() => of({ data: 1 }), { onError: () => ({ ${key}: 'x', data: 'bye' }) });`,
});

const clientMistakes: Record<string, [code: string, expected: RegExp]> = {
  'fromSse<Foo> without options': [
    `export const s = fromSse<Foo>('http://127.0.0.1/');`,
    /Expected 2-3 arguments, but got 1/,
  ],
  'fromSse<Foo> without decode': [
    `export const s = fromSse<Foo>('http://127.0.0.1/', { retry: 1000 });`,
    /Property 'decode' is missing/,
  ],
  'fromSse JSON.parse data used as Foo': [
    `export const s = fromSse('http://127.0.0.1/', { decode: JSON.parse }).pipe(map((m): Foo => m.data));`,
    /Type 'unknown' is not assignable to type 'Foo'/,
  ],
  'fromSse data without decode used as Foo': [
    `export const s = fromSse('http://127.0.0.1/').pipe(map((m): Foo => m.data));`,
    /Type 'string' is not assignable to type 'Foo'/,
  ],
  'fromEventSource<Foo> without options': [
    `export const s = fromEventSource<Foo>('/events');`,
    /Expected 2 arguments, but got 1/,
  ],
  'fromEventSource<Foo> without decode': [
    `export const s = fromEventSource<Foo>('/events', { events: ['tick'] });`,
    /Property 'decode' is missing/,
  ],
  'fromEventSource JSON.parse data used as Foo': [
    `export const s = fromEventSource('/e', { decode: JSON.parse }).pipe(map((m): Foo => m.data));`,
    /Type 'unknown' is not assignable to type 'Foo'/,
  ],
};

const valid = `
export const all: Observable<SseEvent> = interval(1000).pipe(
  map((i) => ({ event: 'tick', id: i, retry: 1000, comment: 'c', data: { i } })),
);
export const some = sse(() => interval(1000).pipe(map((i) => ({ data: i }))));
export const later = sse(async (ctx) => of({ event: 'hi', id: ctx.lastEventId, data: await ctx.text() }));
export const response = toResponse(() => of({ event: 'x', data: 1 }), { onError: () => ({ event: 'failed', data: 'x' }) });
export const published = createChannel().publish({ event: 'x', data: 1, comment: 'c', retry: 5 });
export const frozen = preEncode({ event: 'x', data: 1 });
export const absent: SseEvent = { data: 1, event: undefined, id: undefined };

export const text = fromSse('http://127.0.0.1/').pipe(map((m): string => m.data));
export const parsed = fromSse('http://127.0.0.1/', { decode: JSON.parse }).pipe(map((m) => m.data));
export const notAny: IsAny<typeof parsed extends Observable<infer D> ? D : never> = false;
export const claimed = fromSse<Foo>('http://127.0.0.1/', { decode: JSON.parse }).pipe(map((m): number => m.data.n));
export const inferred = fromSse('http://127.0.0.1/', { decode: (d) => d.length }).pipe(map((m): number => m.data));
export const own = fromSse('http://127.0.0.1/', { decode: (d): Foo => ({ n: Number(d) }) }).pipe(map((m): number => m.data.n));
export const upper = fromSse('http://127.0.0.1/', { decode: (d) => d.toUpperCase(), retry: 1 }).pipe(map((m): string => m.data));

export const browserText = fromEventSource('/e').pipe(map((m): string => m.data));
export const browserParsed = fromEventSource('/e', { events: ['tick'], decode: JSON.parse }).pipe(map((m) => m.data));
export const browserNotAny: IsAny<typeof browserParsed extends Observable<infer D> ? D : never> = false;
export const browserClaimed = fromEventSource<Foo>('/e', { decode: JSON.parse }).pipe(map((m): number => m.data.n));
`;

/** A NestJS `@Sse()` method's stream, handed to rx-sse as it is. */
const nestStream = `import type { MessageEvent } from '@nestjs/common';
declare const updates: Observable<MessageEvent>;
export const l = sse(() => updates);`;

function snippets(): Record<string, string> {
  const all: Record<string, string> = { valid: header + valid, nest: header + nestStream };
  for (const key of nearMisses) {
    for (const [name, code] of Object.entries(eventSites(key))) all[name] = header + code;
  }
  for (const [name, [code]] of Object.entries(clientMistakes)) all[name] = header + code;
  return all;
}

function diagnosticsOf(name: string): SnippetDiagnostic[] {
  compiled ??= compileSnippets(snippets());
  const found = compiled.get(name);
  if (found === undefined) throw new Error(`no snippet ${name}`);
  return found;
}

/** The keys of `SseEvent` as declared in src/, each with whether its type is `never`. */
function declaredKeys(): Map<string, boolean> {
  const file = join(root, 'src', 'wire', 'event.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const keys = new Map<string, boolean>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'SseEvent') return;
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
      keys.set(member.name.text, member.type?.kind === ts.SyntaxKind.NeverKeyword);
    }
  });
  return keys;
}

describe('types that catch mistakes', function () {
  // One program with rxjs, node's types and the whole of src/: a few seconds.
  this.timeout(60_000);

  describe('SseEvent', () => {
    it('should compile every valid use of an event and of the clients, with no diagnostic', () => {
      expect(diagnosticsOf('valid')).to.deep.equal([]);
    });

    for (const key of nearMisses) {
      for (const site of Object.keys(eventSites(key))) {
        it(`should refuse \`${key}\` at compile time (${site.replace(` ${key}`, '')}), naming the key`, () => {
          const found = diagnosticsOf(site);
          expect(found, JSON.stringify(found)).to.have.lengthOf(1);
          const [only] = found;
          // tsc names the key: "Types of property 'type' are incompatible" where an inferred
          // type is assigned, or flags the key itself where a literal is checked in place.
          const names = only?.message.includes(`Types of property '${key}' are incompatible`);
          expect(names === true || only?.text === key, JSON.stringify(only)).to.equal(true);
          expect(only?.line).to.equal(header.split('\n').length);
        });
      }
    }

    it('should refuse a NestJS MessageEvent stream as it is, naming `type` (here `event`)', () => {
      const found = diagnosticsOf('nest');
      expect(found, JSON.stringify(found)).to.have.lengthOf(1);
      expect(found[0]?.message).to.include("Types of property 'type' are incompatible");
    });

    it('should type `never` exactly the keys encode refuses at run time that other libraries use', () => {
      const keys = declaredKeys();
      const never = [...keys].filter(([, isNever]) => isNever).map(([key]) => key);
      const fields = [...keys].filter(([, isNever]) => !isNever).map(([key]) => key);
      expect(never).to.have.members([...nearMisses]);
      expect(fields).to.have.members(['data', 'event', 'id', 'retry', 'comment']);
      for (const key of never) {
        expect(() => encode({ [key]: 'x', data: 1 }), key).to.throw(`unknown field "${key}"`);
      }
      const values: Record<string, unknown> = {
        data: 'x',
        event: 'x',
        id: 'x',
        retry: 1,
        comment: 'x',
      };
      for (const key of fields) {
        expect(encode({ [key]: values[key] }), key).to.be.a('string');
      }
    });
  });

  describe('fromSse and fromEventSource', () => {
    for (const [name, [, expected]] of Object.entries(clientMistakes)) {
      it(`should refuse ${name}`, () => {
        const found = diagnosticsOf(name);
        expect(found, JSON.stringify(found)).to.have.lengthOf(1);
        expect(found[0]?.message).to.match(expected);
      });
    }
  });
});

import { expect } from 'chai';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { encode, preEncode, SseEventError, type SseEvent } from 'rx-sse';

/** Everything a spec-following client makes of one encoded event. */
function parse(text: string) {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const errors: Error[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (ms) => retries.push(ms),
    onComment: (comment) => comments.push(comment),
    onError: (error) => errors.push(error),
  });
  parser.feed(text);
  return { events, retries, comments, errors };
}

// RFC 9110 §5.5, over the UTF-8 bytes a client sends back (field-vchar = VCHAR / obs-text):
// field-value = *( field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ] )
const fieldValue = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

/**
 * Whether `id` can come back unchanged as a header value: an oracle independent of encode. A lone
 * surrogate has no UTF-8 (it would go out as U+FFFD); with the `u` flag, only a lone one is `Cs`.
 */
function isFieldValue(id: string): boolean {
  return !/\p{Cs}/u.test(id) && fieldValue.test(Buffer.from(id, 'utf8').toString('latin1'));
}

function refusal(event: unknown, options?: Parameters<typeof encode>[1]): SseEventError {
  try {
    encode(event as SseEvent, options);
  } catch (error) {
    expect(error).to.be.instanceOf(SseEventError);
    return error as SseEventError;
  }
  throw new Error(`encode accepted ${String(event)}`);
}

describe('encode', () => {
  describe('wire format', () => {
    it('should write a string as one data line and end the event with a blank line', () => {
      expect(encode({ data: 'hello' })).to.equal('data: hello\n\n');
    });

    it('should write the fields in order: comment, event, id, retry, data', () => {
      expect(encode({ data: 'd', retry: 10, id: 'i', event: 'e', comment: 'c' })).to.equal(
        ': c\nevent: e\nid: i\nretry: 10\ndata: d\n\n',
      );
    });

    it('should split data on LF, CR and CRLF into one data line each', () => {
      expect(encode({ data: 'a\nb\rc\r\nd' })).to.equal('data: a\ndata: b\ndata: c\ndata: d\n\n');
    });

    it('should write an empty string as one empty data line', () => {
      expect(encode({ data: '' })).to.equal('data:\n\n');
    });

    it('should keep trailing and doubled newlines as empty data lines', () => {
      expect(encode({ data: 'a\n\n' })).to.equal('data: a\ndata:\ndata:\n\n');
    });

    it('should keep a leading space, which the client strips only one of', () => {
      expect(encode({ data: ' x' })).to.equal('data:  x\n\n');
      expect(parse(encode({ data: ' x' })).events[0]?.data).to.equal(' x');
    });

    it('should JSON-encode data that is not a string', () => {
      expect(encode({ data: 7 })).to.equal('data: 7\n\n');
      expect(encode({ data: { a: [1, 'x\ny'] } })).to.equal('data: {"a":[1,"x\\ny"]}\n\n');
      expect(encode({ data: null })).to.equal('data: null\n\n');
      expect(encode({ data: false })).to.equal('data: false\n\n');
    });

    it('should use options.serialize, splitting what it returns into lines', () => {
      const pretty = (value: unknown) => JSON.stringify(value, null, 1);
      expect(encode({ data: { a: 1 } }, { serialize: pretty })).to.equal(
        'data: {\ndata:  "a": 1\ndata: }\n\n',
      );
    });

    it('should write a number id as its decimal form', () => {
      expect(encode({ id: 42, data: 'x' })).to.equal('id: 42\ndata: x\n\n');
    });

    it('should emit an empty id to reset Last-Event-ID', () => {
      expect(encode({ id: '' })).to.equal('id:\n\n');
    });

    it('should write a retry-only event, which dispatches nothing', () => {
      expect(encode({ retry: 2500 })).to.equal('retry: 2500\n\n');
      expect(parse(encode({ retry: 2500 }))).to.deep.include({ events: [], retries: [2500] });
    });

    it('should write each comment line behind a colon', () => {
      expect(encode({ comment: 'a\r\nb' })).to.equal(': a\n: b\n\n');
      expect(encode({ comment: '' })).to.equal(':\n\n');
    });

    it('should treat a field set to undefined as absent', () => {
      expect(encode({ data: 'x', id: undefined, event: undefined })).to.equal('data: x\n\n');
    });
  });

  describe('refusals', () => {
    const cases: [string, unknown, string, RegExp][] = [
      ['LF in event', { event: 'a\nb', data: 1 }, 'event', /"event" must not contain CR or LF/],
      ['CR in event', { event: 'a\rb' }, 'event', /"event" must not contain CR or LF/],
      ['a non-string event', { event: 5 }, 'event', /"event" must be a string \(got number 5\)/],
      ['LF in id', { id: '1\n2' }, 'id', /"id" must not contain CR or LF \(got "1\\n2"\)/],
      ['CR in id', { id: '1\r' }, 'id', /"id" must not contain CR or LF/],
      ['NUL in id', { id: 'a\0b' }, 'id', /"id" must not contain a control character/],
      ['a NaN id', { id: NaN }, 'id', /"id" must be a finite number/],
      ['an object id', { id: {} }, 'id', /"id" must be a string or a number/],
      ['a negative retry', { retry: -1 }, 'retry', /"retry" must be a non-negative integer/],
      ['a fractional retry', { retry: 1.5 }, 'retry', /"retry" must be a non-negative integer/],
      ['a string retry', { retry: '10' }, 'retry', /"retry" must be a non-negative integer/],
      ['a non-string comment', { comment: 1 }, 'comment', /"comment" must be a string/],
      ['BigInt data', { data: 10n }, 'data', /"data" could not be serialized: .*BigInt/],
      ['undefined from serialize', { data: () => 1 }, 'data', /"data" serialized to undefined/],
      ['no field', {}, 'fields', /needs at least one of data, event, id, retry or comment/],
      ['only undefined', { data: undefined }, 'fields', /needs at least one/],
      [
        'an unknown field',
        { name: 'x', data: 1 },
        'fields',
        /unknown field "name" \(the event type is "event"\)/,
      ],
      ['null', null, 'fields', /must be an object .* \(got null\)/],
      ['a string', 'hi', 'fields', /must be an object .* \(got string "hi"\)/],
      ['an array', [], 'fields', /must be an object .* \(got an array\)/],
    ];
    for (const [what, event, field, message] of cases) {
      it(`should refuse ${what}, naming the field`, () => {
        const error = refusal(event);
        expect(error.field).to.equal(field);
        expect(error.code).to.equal('ERR_SSE_INVALID_EVENT');
        expect(error.message).to.match(message);
      });
    }

    it('should refuse data with a cycle and keep the JSON error as the cause', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      const error = refusal({ data: cyclic });
      expect(error.field).to.equal('data');
      expect(error.message).to.match(/could not be serialized: .*circular/i);
      expect(error.cause).to.be.instanceOf(TypeError);
    });

    it('should refuse a serializer that returns something other than a string', () => {
      const error = refusal({ data: 1 }, { serialize: () => 1 as unknown as string });
      expect(error.message).to.match(/serialized to number 1, not a string/);
    });
  });

  describe('an id, which comes back as a Last-Event-ID header value (RFC 9110 §5.5)', () => {
    const control = 'must not contain a control character other than HTAB';
    const edge = 'must not start or end with a space or HTAB';
    const refused: [string, string, string][] = [
      ['U+0001', 'a\u0001b', control],
      ['U+0008', '\b', control],
      ['U+000B (VT)', '1\v2', control],
      ['U+001F', '1\u001f', control],
      ['DEL', '1\u007f2', control],
      ['a leading space', ' 7', edge],
      ['a trailing space', '7 ', edge],
      ['a leading HTAB', '\t7', edge],
      ['a trailing HTAB', '7\t', edge],
      ['only a space', ' ', edge],
    ];
    for (const [what, id, rule] of refused) {
      it(`should refuse ${what}, saying why and showing the id`, () => {
        const error = refusal({ id, data: 'x' });
        expect(error.field).to.equal('id');
        expect(error.code).to.equal('ERR_SSE_INVALID_EVENT');
        expect(error.message).to.include(
          `"id" ${rule} (got ${JSON.stringify(id).replace('\x7f', '\\u007f')})`,
        );
        expect(error.message).to.include('Last-Event-ID header');
        expect(error.message).to.include('RFC 9110 §5.5');
      });
    }

    it('should name a line break first, as the worst fault', () => {
      expect(refusal({ id: ' a\u0001\n' }).message).to.match(/"id" must not contain CR or LF/);
      expect(refusal({ id: ' a\u0001' }).message).to.include(control);
    });

    it('should refuse an unpaired surrogate in an id, which would come back as U+FFFD', () => {
      for (const id of ['a\ud800', '\udc00b', 'x\ude42\ud83dy']) {
        const error = refusal({ id, data: 'x' });
        expect(error.field).to.equal('id');
        expect(error.message).to.contain('unpaired surrogate');
      }
    });

    it('should keep an inner space or HTAB, and any character from U+0080 on', () => {
      for (const id of ['a b', 'a\tb', 'café', 'x\u0085y', '€ 1', '✓', '\u00a0', '🙂']) {
        expect(encode({ id, data: 'x' })).to.equal(`id: ${id}\ndata: x\n\n`);
      }
    });

    it('should accept exactly what RFC 9110 lets a field value be, as the UTF-8 a client sends', () => {
      const unit = fc.oneof(
        fc.constantFrom(
          ...[' ', '\t', '\0', '\u0001', '\u001f', '\u007f', '\u0080', 'é', '€'],
          ...['\ud83d', '\ude42', '\ud83d\ude42'],
        ),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      );
      fc.assert(
        fc.property(fc.string({ unit, maxLength: 8 }), (id) => {
          let accepted = true;
          try {
            encode({ id });
          } catch (error) {
            expect((error as SseEventError).field).to.equal('id');
            accepted = false;
          }
          expect(accepted).to.equal(isFieldValue(id));
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('preEncode', () => {
    it('should refuse an id that cannot come back as a Last-Event-ID, as encode does', () => {
      for (const id of ['a\u0001b', ' 7 ', '\u007f']) {
        expect(() => preEncode({ id, data: 'x' }))
          .to.throw(SseEventError)
          .with.property('field', 'id');
      }
    });

    it('should accept and carry an id with inner whitespace or non-ASCII characters', () => {
      expect(encode(preEncode({ id: 'é 1\t2', data: 'x' }))).to.equal('id: é 1\t2\ndata: x\n\n');
    });
  });

  describe('properties', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 30 });
    const mixedLines = fc
      .array(fc.oneof(text, fc.constantFrom('\n', '\r', '\r\n', '')), { maxLength: 8 })
      .map((parts) => parts.join(''));
    const noLineBreak = text.filter((s) => !/[\r\n]/.test(s));
    const event = fc.record(
      {
        data: fc.oneof(mixedLines, fc.jsonValue()),
        event: noLineBreak,
        // Only ids a Last-Event-ID header can carry back (the refusals are pinned above).
        id: fc.oneof(text.filter(isFieldValue), fc.integer()),
        retry: fc.nat(),
        comment: mixedLines,
      },
      { requiredKeys: [] },
    );

    it('should round-trip any event through an independent parser as exactly what was sent', () => {
      fc.assert(
        fc.property(event, (input) => {
          let encoded: string;
          try {
            encoded = encode(input);
          } catch (error) {
            // The only event refused here is one with no field at all.
            expect(Object.keys(input)).to.have.length(0);
            expect((error as SseEventError).field).to.equal('fields');
            return;
          }
          const parsed = parse(encoded);
          expect(parsed.errors).to.deep.equal([]);
          expect(parsed.retries).to.deep.equal(input.retry === undefined ? [] : [input.retry]);
          const commentLines = input.comment === undefined ? [] : input.comment.split(/\r\n|\r|\n/);
          expect(parsed.comments).to.deep.equal(commentLines);
          if (input.data === undefined) {
            expect(parsed.events).to.deep.equal([]);
            return;
          }
          expect(parsed.events).to.have.length(1);
          const [received] = parsed.events;
          const data =
            typeof input.data === 'string'
              ? input.data.replace(/\r\n|\r/g, '\n')
              : JSON.stringify(input.data);
          expect(received?.data).to.equal(data);
          expect(received?.event || undefined).to.equal(input.event || undefined);
          expect(received?.id || undefined).to.equal(
            input.id === undefined ? undefined : String(input.id) || undefined,
          );
        }),
        { numRuns: 2000 },
      );
    });

    it('should never let a value in any field start a second event or another field', () => {
      const anyText = fc.string({ unit: 'binary', maxLength: 40 });
      const hostile = fc.record(
        {
          data: anyText,
          event: anyText,
          id: anyText,
          comment: anyText,
        },
        { requiredKeys: ['data'] },
      );
      fc.assert(
        fc.property(hostile, (input) => {
          let encoded: string;
          try {
            encoded = encode(input);
          } catch (error) {
            expect((error as SseEventError).field).to.be.oneOf(['event', 'id']);
            return;
          }
          const parsed = parse(encoded);
          expect(parsed.events).to.have.length(1);
          expect(parsed.errors).to.deep.equal([]);
          expect(parsed.retries).to.deep.equal([]);
          expect(encoded.endsWith('\n\n')).to.equal(true);
          expect(encoded.slice(0, -1)).not.to.match(/\n\n|\r/);
        }),
        { numRuns: 2000 },
      );
    });
  });
});

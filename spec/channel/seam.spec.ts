import { expect } from 'chai';
import fc from 'fast-check';
import type { Subscription } from 'rxjs';
import { createChannel } from 'rx-sse/channel';

type Op =
  | { kind: 'publish'; count: number }
  | { kind: 'subscribe'; from: number | 'new' | 'origin'; echo: boolean; subscribeOnEvent: boolean }
  | { kind: 'unsubscribe'; which: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('publish' as const), count: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    kind: fc.constant('subscribe' as const),
    from: fc.oneof(fc.nat(40), fc.constant('new' as const), fc.constant('origin' as const)),
    echo: fc.boolean(),
    subscribeOnEvent: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('unsubscribe' as const), which: fc.nat(20) }),
);

// A clock that stands still: ids are 0-1, 0-2, … and compare by their counter.
const stillClock = { now: () => 0, schedule: () => undefined as never };
const seq = (id: string) => Number(id.split('-')[1]);

interface Client {
  /** The counter of the id this client started after. */
  after: number;
  received: string[];
  subscription: Subscription | undefined;
  open: boolean;
}

describe('channel.stream, the seam (property)', () => {
  it('should give every stream, from any start, each later event once and in order, even with publishing from inside subscribers', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const channel = createChannel({ maxEvents: Infinity }, stillClock);
        // Every id, in order: a stream that listens from the start.
        const published: string[] = [];
        channel.stream(undefined).subscribe((event) => published.push(event.id as string));
        const clients: Client[] = [];
        let budget = 60; // re-entrant publishes and subscribes, so every run ends
        const publish = () => channel.send('x');

        const subscribe = (from: number | 'new' | 'origin', echo: boolean, nest: boolean) => {
          let lastEventId: string | undefined;
          if (from === 'origin' || (from !== 'new' && published.length === 0)) lastEventId = '0-0';
          else if (from !== 'new') lastEventId = published[from % published.length];
          const after = seq(lastEventId ?? channel.lastId);
          const client: Client = { after, received: [], subscription: undefined, open: true };
          clients.push(client);
          const subscription = channel.stream(lastEventId).subscribe((event) => {
            client.received.push(event.id as string);
            if (budget > 0 && echo) {
              budget--;
              publish();
            }
            if (budget > 0 && nest) {
              budget--;
              subscribe('new', false, false);
            }
          });
          client.subscription = subscription;
        };

        for (const step of ops) {
          if (step.kind === 'publish') for (let i = 0; i < step.count; i++) publish();
          else if (step.kind === 'subscribe')
            subscribe(step.from, step.echo, step.subscribeOnEvent);
          else {
            const client = clients[step.which % Math.max(clients.length, 1)];
            if (client !== undefined) {
              client.subscription?.unsubscribe();
              client.open = false;
            }
          }
        }
        publish();

        for (const client of clients) {
          const expected = published.filter((id) => seq(id) > client.after);
          if (client.open) expect(client.received).to.deep.equal(expected);
          else expect(client.received).to.deep.equal(expected.slice(0, client.received.length));
        }
        expect(published.map(seq)).to.deep.equal(published.map((_, i) => i + 1));
        expect(channel.subscribers).to.equal(1 + clients.filter((client) => client.open).length);
      }),
      { numRuns: 500 },
    );
  });

  it('should never skip an event silently with a small history: every gap is announced by a reset', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        (ops, maxEvents, publishOnReset) => {
          const channel = createChannel({ maxEvents }, stillClock);
          interface Watched {
            after: number;
            events: { reset: boolean; seq: number }[];
            open: boolean;
            subscription: Subscription | undefined;
          }
          const watched: Watched[] = [];
          let budget = 40;
          const subscribe = (from: number | 'new' | 'origin', echo: boolean) => {
            const last = seq(channel.lastId);
            const lastEventId =
              from === 'new'
                ? undefined
                : from === 'origin'
                  ? '0-0'
                  : `0-${String(from % (last + 1))}`;
            const client: Watched = {
              after: seq(lastEventId ?? channel.lastId),
              events: [],
              open: true,
              subscription: undefined,
            };
            watched.push(client);
            client.subscription = channel.stream(lastEventId).subscribe((event) => {
              const reset = event.event === 'reset';
              client.events.push({ reset, seq: seq(event.id as string) });
              if (budget > 0 && (echo || (reset && publishOnReset))) {
                budget--;
                channel.send('x');
              }
            });
          };
          for (const step of ops) {
            if (step.kind === 'publish') for (let i = 0; i < step.count; i++) channel.send('x');
            else if (step.kind === 'subscribe') subscribe(step.from, step.echo);
            else {
              const client = watched[step.which % Math.max(watched.length, 1)];
              client?.subscription?.unsubscribe();
              if (client !== undefined) client.open = false;
            }
          }
          channel.send('x');
          const last = seq(channel.lastId);
          for (const client of watched) {
            let position = client.after;
            for (const { reset, seq: at } of client.events) {
              // A reset may jump ahead (announcing the gap); an event must be the very next one.
              if (reset) expect(at).to.be.at.least(position);
              else expect(at).to.equal(position + 1);
              position = at;
            }
            if (client.open) expect(position).to.equal(last);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

import { expect } from 'chai';
import { concat, map, of, timer } from 'rxjs';
import sinon from 'sinon';
import { SseEventError } from 'rx-sse';
import { doors } from '../support/doors.js';
import { fetchRaw, waitFor } from '../support/server.js';
import { useDoor } from '../support/stream.js';

for (const door of doors) {
  describe(`sse: after the stream opens, errors are events (${door} door)`, () => {
    const { t, serve } = useDoor(door);

    it('should end the response and show the client nothing of the error by default', async () => {
      const failure = new Error('internal detail');
      const origin = await serve(() =>
        concat(
          of({ data: 'a' }),
          timer(10).pipe(
            map(() => {
              throw failure;
            }),
          ),
        ),
      );
      const res = await fetchRaw(origin);
      expect([res.status, res.body]).to.deep.equal([200, 'data: a\n\n']);
      expect(t.logged.calledOnceWith('rx-sse:', failure)).to.equal(true);
    });

    it('should send the event options.onError returns as the last one', async () => {
      const origin = await serve(
        () =>
          concat(
            of({ data: 'a' }),
            timer(10).pipe(
              map(() => {
                throw new Error('x');
              }),
            ),
          ),
        {
          onError: () => ({ event: 'error', data: 'try later' }),
        },
      );
      expect((await fetchRaw(origin)).body).to.equal(
        'data: a\n\nevent: error\ndata: try later\n\n',
      );
      expect(t.logged.called).to.equal(false);
    });

    it('should treat an event encode refuses as a stream error and write none of it', async () => {
      const onError = sinon.spy();
      const origin = await serve(
        () =>
          concat(of({ data: 'a' }), timer(10).pipe(map(() => ({ id: 'x\ny', data: 'forged' })))),
        { onError },
      );
      expect((await fetchRaw(origin)).body).to.equal('data: a\n\n');
      expect(onError.firstCall.args[0]).to.be.instanceOf(SseEventError);
    });

    it('should log an async onError that rejects, without crashing', async () => {
      const origin = await serve(
        () =>
          timer(5).pipe(
            map(() => {
              throw new Error('first');
            }),
          ),
        { onError: (() => Promise.reject(new Error('async hook failed'))) as never },
      );
      expect((await fetchRaw(origin)).body).to.equal('');
      await waitFor(() => t.logged.called, 'the report');
      expect((t.logged.firstCall.args[1] as Error).message).to.equal(
        'rx-sse: options.onError rejected',
      );
    });

    it('should encode the last event with options.serialize', async () => {
      const origin = await serve(
        () =>
          timer(5).pipe(
            map(() => {
              throw new Error('x');
            }),
          ),
        {
          onError: () => ({ data: { code: 1 } }),
          serialize: (value) => `S${JSON.stringify(value)}`,
        },
      );
      expect((await fetchRaw(origin)).body).to.equal('data: S{"code":1}\n\n');
    });

    it('should report an onError that throws and still end the stream', async () => {
      const origin = await serve(
        () =>
          timer(5).pipe(
            map(() => {
              throw new Error('first');
            }),
          ),
        {
          onError: () => {
            throw new Error('second');
          },
        },
      );
      expect((await fetchRaw(origin)).status).to.equal(200);
      expect(t.logged.calledOnce).to.equal(true);
      expect((t.logged.firstCall.args[1] as Error).message).to.equal(
        'rx-sse: options.onError threw',
      );
    });
  });
}

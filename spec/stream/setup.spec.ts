import { expect } from 'chai';
import { NEVER } from 'rxjs';
import { sse } from 'rx-sse';

// No request is served: options are checked when the listener is made, whatever the door.
describe('sse: setup', () => {
  const bad: [string, () => unknown, RegExp][] = [
    [
      'a scheduler that is not one',
      () => sse(() => NEVER, { scheduler: 'async' as never }),
      /options\.scheduler must be an RxJS SchedulerLike/,
    ],
    [
      'an unknown option, such as a typo',
      () => sse(() => NEVER, { hearbeat: 5000 } as never),
      /unknown option "hearbeat"; the options are retry, heartbeat, /,
    ],
    [
      'a handler that is not a function',
      () => sse('feed' as never),
      /the handler must be a function .* \(got string "feed"\)/,
    ],
    [
      'a header value with CR or LF',
      () => sse(() => NEVER, { headers: { 'X-A': 'a\r\nSet-Cookie: x' } }),
      /options\.headers\["X-A"\] is not a valid HTTP header/,
    ],
    [
      'a Content-Type header',
      () => sse(() => NEVER, { headers: { 'content-type': 'text/plain' } }),
      /must not set Content-Type/,
    ],
    [
      'an onError that is not a function',
      () => sse(() => NEVER, { onError: 'log' as never }),
      /options\.onError must be a function/,
    ],
    [
      'a zero maxLastEventIdLength',
      () => sse(() => NEVER, { maxLastEventIdLength: 0 }),
      /options\.maxLastEventIdLength must be an integer of at least 1/,
    ],
    [
      'a negative retry',
      () => sse(() => NEVER, { retry: -1 }),
      /sse: options\.retry \(ms\) must be an integer from 0/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`should refuse ${what}`, () => {
      expect(make).to.throw(TypeError, message);
    });
  }
});

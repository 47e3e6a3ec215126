import { expect } from 'chai';
import { HttpError } from 'rx-sse';

describe('HttpError', () => {
  it('should carry status, headers, a stable code and the status text as default message', () => {
    const error = new HttpError(429, undefined, { headers: { 'Retry-After': 5 } });
    expect(error).to.be.instanceOf(Error);
    expect(error).to.include({
      name: 'HttpError',
      code: 'ERR_SSE_HTTP',
      status: 429,
      message: 'Too Many Requests',
    });
    expect(error.headers).to.deep.equal({ 'Retry-After': 5 });
    expect(Object.isFrozen(error.headers)).to.equal(true);
  });

  it('should keep the cause for logs', () => {
    const cause = new Error('token expired');
    expect(new HttpError(401, 'Sign in', { cause }).cause).to.equal(cause);
  });

  for (const status of [200, 199, 600, 404.5, NaN]) {
    it(`should refuse status ${status}`, () => {
      expect(() => new HttpError(status)).to.throw(
        RangeError,
        /status must be an integer from 201 to 599/,
      );
    });
  }

  it('should refuse a header value that would split the response', () => {
    expect(
      () => new HttpError(401, 'x', { headers: { 'WWW-Authenticate': 'a\r\nSet-Cookie: s=1' } }),
    ).to.throw(TypeError, /header "WWW-Authenticate" is not a valid HTTP header/);
  });
});

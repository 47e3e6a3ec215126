import sinon from 'sinon';
import type { TestServer } from './server.js';

/** Per-test state shared by the server specs: the server to close, and console.error stubbed. */
export interface Fixture {
  /** Set it to the test's server; it is closed after the test. */
  server: TestServer | undefined;
  /** console.error, stubbed for each test: what rx-sse reported. */
  logged: sinon.SinonStub;
}

/** Registers the hooks of a {@link Fixture} in the current `describe` and returns it. */
export function useFixture(): Fixture {
  const fixture = { server: undefined } as Fixture;
  beforeEach(() => {
    fixture.logged = sinon.stub(console, 'error');
  });
  afterEach(async () => {
    fixture.logged.restore();
    await fixture.server?.close();
    fixture.server = undefined;
  });
  return fixture;
}

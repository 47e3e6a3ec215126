/**
 * Test handlers without a server: {@link testContext} builds the context a handler gets, and
 * {@link toFrames} turns its events into the exact frames a listener would write, for RxJS marble
 * tests with `TestScheduler`.
 *
 * @module rx-sse/testing
 */
export { testContext, type TestContext, type TestContextInit } from './testContext.js';
export { toFrames } from './toFrames.js';
export { heartbeatFrame } from '../wire/toWire.js';

export { testContext, type TestContext, type TestContextInit } from './testContext.js';
export { toFrames } from './toFrames.js';
export { heartbeatFrame } from '../wire/toWire.js';

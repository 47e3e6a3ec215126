export { createResumableStreams, type ResumableStreams } from './createResumableStreams.js';
export { failedEvent } from './answer.js';
export type { FailReason, ResumableOptions, SseResumableStreams, StreamFrom } from './types.js';

/**
 * Answers that outlive their connection, in memory: {@link createResumableStreams} runs a
 * producer (an LLM's answer, a long job) once, whether or not anyone is reading, and lets any
 * client read it, and resume it with its Last-Event-ID, by its id. `rx-sse/redis` has the same store
 * shared between processes.
 *
 * @module rx-sse/resumable
 */
export { createResumableStreams, type ResumableStreams } from './createResumableStreams.js';
export { failedEvent } from './answer.js';
export type { FailReason, ResumableOptions, SseResumableStreams, StreamFrom } from './types.js';

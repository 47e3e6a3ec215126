import type { SseStats } from '../types.js';

/** A listener's figures before its first request. */
export function emptyStats(): SseStats {
  return {
    open: 0,
    opened: 0,
    refused: 0,
    events: 0,
    bytes: 0,
    dropped: 0,
    closedSlow: 0,
    errors: 0,
  };
}

/**
 * What this process holds after a full GC, in bytes: the V8 heap plus memory outside it (Buffers,
 * ArrayBuffers). `external` already includes `arrayBuffers` (node's docs), so it is not added
 * twice. Needs `--expose-gc`; without it the figure includes garbage, and only overstates.
 */
export function retained(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

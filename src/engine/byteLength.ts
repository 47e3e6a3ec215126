// The UTF-8 length of the last frame counted. A channel's live streams get the same frame (the same
// string) one after another, so the first of a turn — the one no shared join covers — is counted
// once for all of them, not once per client; an identical string is a pointer comparison.
let lastFrame = '';
let lastFrameBytes = 0;

/** The UTF-8 length of `frame`: node's native count where there is one, else a pass over it. */
const utf8Length: (text: string) => number =
  typeof globalThis.Buffer === 'function' ? (text) => Buffer.byteLength(text) : countUtf8;

/** The UTF-8 bytes of `frame`; the last one asked about is remembered. */
export function byteLength(frame: string): number {
  if (frame !== lastFrame) {
    // Remembered for this turn only: a finished turn's frame (a replay can be megabytes) is let go.
    if (lastFrame === '') queueMicrotask(forget);
    lastFrame = frame;
    lastFrameBytes = utf8Length(frame);
  }
  return lastFrameBytes;
}

/** UTF-8 length without `Buffer` (Deno, workerd): a lone surrogate counts as U+FFFD's 3 bytes. */
function countUtf8(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if ((code & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A pair: 4 bytes for its 2 code units.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function forget(): void {
  lastFrame = '';
  lastFrameBytes = 0;
}

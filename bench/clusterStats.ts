// What bench/cluster.ts and its load processes share: a latency histogram that adds up across
// processes, and the messages they exchange.

/** Bucket `i` holds latencies in [0.01 × 1.01^i, 0.01 × 1.01^(i+1)) ms: 1 % wide, 10 µs to ~30 min. */
const base = 0.01;
const growth = Math.log(1.01);
const buckets = 2400;

/** Counts of latencies (ms) in 1 %-wide buckets, so that processes can add theirs up. */
export class Histogram {
  readonly counts = new Float64Array(buckets);
  count = 0;
  /** The largest latency recorded, in ms, exactly. */
  max = -Infinity;

  /** Records one latency, in ms (anything under 10 µs, clock skew included, counts as 10 µs). */
  add(ms: number): void {
    const at = ms <= base ? 0 : Math.min(buckets - 1, Math.floor(Math.log(ms / base) / growth));
    this.counts[at] = (this.counts[at] ?? 0) + 1;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The non-empty buckets as [index, count] pairs, to send over IPC. */
  toJSON(): { counts: [number, number][]; max: number } {
    const counts: [number, number][] = [];
    this.counts.forEach((n, i) => {
      if (n > 0) counts.push([i, n]);
    });
    return { counts, max: this.max };
  }

  /** Adds another process's histogram (from {@link toJSON}) to this one. */
  merge(other: { counts: [number, number][]; max: number | null }): void {
    for (const [i, n] of other.counts) {
      this.counts[i] = (this.counts[i] ?? 0) + n;
      this.count += n;
    }
    // JSON turns -Infinity (nothing recorded) into null.
    if (other.max !== null && other.max > this.max) this.max = other.max;
  }

  /** The `q` quantile (0–1) in ms: the middle of its bucket (±0.5 %), never above the max. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < buckets; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, base * Math.exp((i + 0.5) * growth));
    }
    return this.max;
  }
}

/** What a load process reports at the end of a scenario. */
export interface LoadReport {
  /** Connections that received everything they were to receive. */
  complete: number;
  /** Events (or tokens) received and checked, over every connection. */
  received: number;
  /** Delivery latencies, ms (send → receive; for answers, live tokens only). */
  latency: { counts: [number, number][]; max: number | null };
  /** Per connection, the longest time (ms) it received nothing, over the gap window. */
  gaps: number[];
  /** Heartbeat comments received over the gap window, every connection together. */
  heartbeats: number;
  /** Tokens read from Redis's history on a resume rather than live (answers only). */
  replayed: number;
  /** This process's CPU (user + system) since its last mark, in ms. */
  cpuMs: number;
  /** Wall time since the last mark, in ms. */
  wallMs: number;
}

/** The `k`-quantile (0–1) of plain numbers, sorted here. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

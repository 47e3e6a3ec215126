// Encoder throughput beside JSON.stringify of the same data, in one process and one run, so the
// ratio holds on a noisy machine even when the absolute figures drift. Alternates the two, five
// rounds each, and prints medians and min–max.
//
// Run: npm run bench:encode    (EVENTS=200000 ROUNDS=5 to change the size)
import { encode, type SseEvent } from 'rx-sse';

const events = Number(process.env['EVENTS'] ?? 200_000);
const rounds = Number(process.env['ROUNDS'] ?? 5);
const text = 'x'.repeat(80);
const inputs: SseEvent[] = Array.from({ length: 1000 }, (_, i) => ({
  event: 'update',
  id: i,
  data: { n: i, text },
}));

function timeIt(run: (event: SseEvent) => string): number {
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < events; i++) bytes += run(inputs[i % inputs.length]!).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error('nothing encoded');
  return events / seconds;
}

const contenders: Record<string, (event: SseEvent) => string> = {
  'JSON.stringify(data)': (event) => JSON.stringify(event.data),
  'encode(event)': (event) => encode(event),
  'encode({ data: string })': (event) => encode({ data: (event.data as { text: string }).text }),
};
const results: Record<string, number[]> = {};
for (const name of Object.keys(contenders)) timeIt(contenders[name]!); // warm up
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(contenders)) (results[name] ??= []).push(timeIt(run));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results['JSON.stringify(data)']!);
const fmt = (n: number) => `${(n / 1e6).toFixed(2)}M/s`;
console.log(`| what | events/s (median) | min–max | ratio to JSON.stringify |`);
console.log(`|---|---|---|---|`);
for (const [name, xs] of Object.entries(results)) {
  console.log(
    `| ${name} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} | ${(median(xs) / base).toFixed(2)}× |`,
  );
}
console.log(`\n${events} events × ${rounds} rounds, node ${process.version}`);

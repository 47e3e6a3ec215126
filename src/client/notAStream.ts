/**
 * Why a response is not a stream EventSource would read, in words, or `undefined` for one: a status
 * other than 200 (a 204 is how a server says "stop"), a content type other than
 * `text/event-stream`, or no body (WHATWG HTML, EventSource "fail the connection").
 */
export function notAStream(response: Response): string | undefined {
  const type = response.headers.get('content-type') ?? '';
  const essence = (type.split(';')[0] ?? '').trim().toLowerCase();
  if (response.status === 204) return 'the server answered 204: there is nothing more to read';
  if (response.status !== 200) return `the server answered ${String(response.status)}`;
  if (essence !== 'text/event-stream') {
    return `the content type is ${JSON.stringify(type)}, not text/event-stream`;
  }
  if (response.body === null) return 'the response has no body';
  return undefined;
}

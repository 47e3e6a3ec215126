/**
 * The browser's own `EventSource` as an Observable: {@link fromEventSource}. It imports `rxjs` and
 * nothing of node.
 *
 * @module rx-sse/browser
 */
export { EventSourceError } from './EventSourceError.js';
export {
  fromEventSource,
  type EventSourceMessage,
  type FromEventSourceOptions,
} from './fromEventSource.js';

export { EventSourceError } from './EventSourceError.js';
export {
  fromEventSource,
  type EventSourceMessage,
  type FromEventSourceOptions,
} from './fromEventSource.js';

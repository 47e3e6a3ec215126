/**
 * The assistant's page: type a prompt, watch the answer appear word by word. The answer is read
 * with rx-sse/client's `fromSse`: a POST with the prompt as JSON, resumed after a dropped
 * connection with `GET <Location>` and Last-Event-ID (`reconnect`), and after a reload from what
 * `sessionStorage` kept (the answer's Location, its words so far and the last id), so no word is
 * missing or repeated. `importMap` names the modules the page imports (see ../browser/modules.ts).
 */
export function assistantPage(importMap: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>rx-sse assistant</title>
    ${importMap}
  </head>
  <body>
    <form id="ask"><input id="prompt" size="60" value="to be or not to be that is the question"> <button>Ask</button></form>
    <p id="answer"></p>
    <p>Stream: <span id="status">idle</span></p>
    <script type="module">
      import { fromSse } from 'rx-sse/client';
      const answer = document.getElementById('answer');
      const status = document.getElementById('status');
      const saved = JSON.parse(sessionStorage.getItem('answer') ?? 'null');
      let state = saved ?? { location: undefined, words: [], lastEventId: '' };
      let reading;

      const save = () => sessionStorage.setItem('answer', JSON.stringify(state));
      const show = () => { answer.textContent = state.words.join(' '); };

      /** Reads an answer: the first request is \`url\` with \`options\`; reconnections resume at its Location. */
      function read(url, options) {
        reading?.unsubscribe();
        status.textContent = 'reading';
        reading = fromSse(url, {
          ...options,
          lastEventId: state.lastEventId,
          validate: (response) => {
            const location = response.headers.get('location');
            if (location !== null) state.location = new URL(location, response.url).href;
            save();
          },
          reconnect: ({ location }) => ({ url: location ?? state.location }),
        }).subscribe({
          next: (message) => {
            if (message.event === 'token') state.words.push(message.data);
            state.lastEventId = message.lastEventId;
            save();
            show();
            // The answer is whole: stop here (a stream that ends is otherwise resumed, as an
            // EventSource would, and there is nothing after done).
            if (message.event === 'done') {
              state.done = true;
              save();
              reading.unsubscribe();
              status.textContent = 'done';
            }
          },
          complete: () => { status.textContent = 'done'; },
          error: (error) => { status.textContent = 'failed: ' + error.message; },
        });
      }

      document.getElementById('ask').addEventListener('submit', (event) => {
        event.preventDefault();
        state = { location: undefined, words: [], lastEventId: '' };
        save();
        show();
        read(new URL('/answers', location.href).href, { method: 'POST', json: { prompt: document.getElementById('prompt').value } });
      });

      show();
      // Reloaded mid-answer: carry on where it was.
      if (saved?.location && !saved.done) read(saved.location, {});
      else if (saved?.done) status.textContent = 'done';
    </script>
  </body>
</html>
`;
}

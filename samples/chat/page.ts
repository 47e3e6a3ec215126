/** The chat page: messages are shown with textContent only, so nothing typed becomes markup. */
export function chatPage(label: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>rx-sse chat</title>
    <style>
      body { font: 16px system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
      #messages { list-style: none; padding: 0; min-height: 10rem; border: 1px solid #ccc; }
      #messages li { padding: .25rem .5rem; } #messages b { margin-right: .5rem; }
      form { display: flex; gap: .5rem; } #text { flex: 1; }
    </style>
  </head>
  <body>
    <h1>Chat <small id="server"></small></h1>
    <p>Stream: <span id="status">connecting…</span></p>
    <ul id="messages"></ul>
    <form id="send">
      <input id="name" placeholder="name" size="10" required maxlength="40">
      <input id="text" placeholder="message" required maxlength="1000" autocomplete="off">
      <button>Send</button>
    </form>
    <p id="error" role="alert"></p>
    <script>
      document.getElementById('server').textContent = ${JSON.stringify(label).replace(/</g, '\\u003c')};
      const list = document.getElementById('messages');
      const status = document.getElementById('status');
      const source = new EventSource('/events');
      source.addEventListener('open', () => { status.textContent = 'open'; });
      source.addEventListener('error', () => { status.textContent = 'reconnecting…'; });
      // The server could not replay what we missed: what follows is its whole history.
      source.addEventListener('reset', () => { list.replaceChildren(); });
      source.addEventListener('message', (e) => {
        const { name, text } = JSON.parse(e.data);
        const item = document.createElement('li');
        const who = document.createElement('b');
        who.textContent = name;
        item.append(who, document.createTextNode(text));
        list.append(item);
      });
      const name = document.getElementById('name');
      name.value = localStorage.getItem('name') || '';
      document.getElementById('send').addEventListener('submit', async (e) => {
        e.preventDefault();
        const text = document.getElementById('text');
        localStorage.setItem('name', name.value);
        const res = await fetch('/messages', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: name.value, text: text.value }),
        });
        document.getElementById('error').textContent = res.ok ? '' : (await res.json()).error;
        if (res.ok) text.value = '';
      });
    </script>
  </body>
</html>
`;
}

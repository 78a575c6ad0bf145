// The web chat served at GET /: plain HTML and inline JS, no build step, no external assets.
// It drives the world through /_emulator and follows it live over server-sent events.
export const webChatHtml = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cocoon · local Telegram</title>
<style>
  :root { --bg:#e6ebee; --side:#fff; --me:#effdde; --them:#fff; --accent:#3390ec; --muted:#707579; --line:#dfe1e5; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); height:100vh; display:flex; }
  aside { width:290px; background:var(--side); border-right:1px solid var(--line); display:flex; flex-direction:column; }
  aside header { padding:12px; border-bottom:1px solid var(--line); }
  aside header h1 { font-size:16px; margin:0 0 8px; }
  label { font-size:12px; color:var(--muted); display:block; margin-bottom:4px; }
  select, input[type=text] { width:100%; padding:7px 9px; border:1px solid var(--line); border-radius:8px; font:inherit; background:#fff; }
  #chats { list-style:none; margin:0; padding:0; overflow-y:auto; flex:1; }
  #chats li { padding:10px 12px; cursor:pointer; border-bottom:1px solid #f1f1f1; }
  #chats li.active { background:var(--accent); color:#fff; }
  #chats li small { display:block; opacity:.7; }
  main { flex:1; display:flex; flex-direction:column; min-width:0; }
  main > header { background:#fff; padding:10px 16px; border-bottom:1px solid var(--line); min-height:52px; }
  main > header b { display:block; }
  main > header small { color:var(--muted); }
  #messages { flex:1; overflow-y:auto; padding:16px; display:flex; flex-direction:column; gap:6px; }
  .msg { max-width:min(560px, 80%); padding:6px 10px 4px; border-radius:12px; background:var(--them); box-shadow:0 1px 1px rgba(0,0,0,.08); white-space:pre-wrap; word-wrap:break-word; }
  .msg.mine { align-self:flex-end; background:var(--me); }
  .msg.service { align-self:center; background:rgba(0,0,0,.25); color:#fff; font-size:13px; padding:3px 10px; }
  .msg .who { font-size:13px; font-weight:600; color:var(--accent); }
  .msg .meta { font-size:11px; color:var(--muted); text-align:right; }
  .msg .quote { border-left:3px solid var(--accent); padding-left:6px; margin:2px 0 4px; font-size:13px; color:var(--muted); }
  .msg code, .msg pre { font-family: ui-monospace, Menlo, monospace; background:rgba(0,0,0,.06); border-radius:4px; }
  .msg pre { padding:6px; margin:4px 0; white-space:pre-wrap; }
  .msg .spoiler { background:#999; color:transparent; border-radius:3px; cursor:pointer; }
  .msg .spoiler.shown { background:none; color:inherit; }
  .msg blockquote { margin:2px 0; border-left:3px solid var(--accent); padding-left:8px; }
  .kb { display:flex; flex-direction:column; gap:4px; margin-top:6px; }
  .kb .row { display:flex; gap:4px; }
  .kb button, #replykb button { flex:1; padding:7px; border:0; border-radius:8px; background:rgba(51,144,236,.12); color:var(--accent); font:inherit; font-weight:500; cursor:pointer; }
  .kb button:hover { background:rgba(51,144,236,.22); }
  #typing { color:var(--muted); font-size:13px; padding:0 16px 4px; min-height:18px; }
  #replykb { padding:0 12px; display:flex; flex-direction:column; gap:4px; }
  #replykb .row { display:flex; gap:4px; }
  form { display:flex; gap:8px; padding:10px 12px; background:#fff; border-top:1px solid var(--line); position:relative; }
  form input[type=text] { flex:1; }
  form button { border:0; border-radius:8px; padding:0 14px; background:var(--accent); color:#fff; font:inherit; cursor:pointer; }
  form button.ghost { background:rgba(51,144,236,.12); color:var(--accent); }
  #commands { position:absolute; bottom:54px; left:12px; background:#fff; border:1px solid var(--line); border-radius:10px; box-shadow:0 4px 18px rgba(0,0,0,.12); list-style:none; margin:0; padding:4px 0; display:none; max-height:260px; overflow:auto; min-width:260px; }
  #commands li { padding:6px 12px; cursor:pointer; }
  #commands li:hover { background:#f1f5f9; }
  #commands li span { color:var(--muted); margin-left:6px; }
  #toast { position:fixed; top:16px; left:50%; transform:translateX(-50%); background:rgba(0,0,0,.78); color:#fff; padding:8px 14px; border-radius:10px; display:none; z-index:5; }
  .empty { margin:auto; color:var(--muted); }
  #stars { margin-top:8px; font-size:13px; color:var(--muted); }
  .invoice { border-left:3px solid #e8a200; padding-left:8px; margin:2px 0 4px; }
  .invoice .price { font-weight:600; margin-top:2px; }
  .invoice .outcome { font-size:13px; margin-top:4px; }
  .invoice .outcome.failed { color:#d93025; }
  .invoice .outcome.paid { color:#2e7d32; }
  .kb button.pay { background:#e8a200; color:#fff; }
</style>
</head>
<body>
<aside>
  <header>
    <h1>Local Telegram</h1>
    <label for="user">You are</label>
    <select id="user"></select>
    <div id="stars" title="Telegram Stars of the chosen user (POST /_emulator/users/:id/stars sets them)"></div>
    <div style="display:flex; gap:6px; margin-top:8px">
      <input type="text" id="newName" placeholder="New user's name">
      <button id="addUser" class="ghost" style="border:0; border-radius:8px; padding:0 10px; cursor:pointer">Add</button>
    </div>
  </header>
  <ul id="chats"></ul>
</aside>
<main>
  <header id="title"><b>Pick a chat</b><small>Messages you type are sent as the chosen user.</small></header>
  <div id="messages"><div class="empty">No chat selected</div></div>
  <div id="typing"></div>
  <div id="replykb"></div>
  <form id="composer" autocomplete="off">
    <ul id="commands"></ul>
    <button type="button" id="menu" class="ghost" title="Commands">/</button>
    <input type="text" id="text" placeholder="Message or /command" maxlength="4096">
    <button type="submit">Send</button>
  </form>
</main>
<div id="toast"></div>
<script>
const $ = (id) => document.getElementById(id);
let state = { bots: [], users: [], chats: [] };
let current = null; // chat entry from state.chats
let replyTo = null;
const api = async (path, init) => {
  const res = await fetch('/_emulator' + path, init && init.body ? { ...init, headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
};
const toast = (text) => { const t = $('toast'); t.textContent = text; t.style.display = 'block'; clearTimeout(toast.timer); toast.timer = setTimeout(() => (t.style.display = 'none'), 2500); };
const userId = () => Number($('user').value);
const chatName = (c) => c.chat.type === 'private' ? botOf(c).first_name + ' (bot)' : c.chat.title;
const botOf = (c) => state.bots.find((b) => b.id === c.botId) || state.bots[0];
const visibleChats = () => state.chats.filter((c) => c.chat.type === 'private' ? c.chat.id === userId() : c.members.some((m) => m.user && m.user.id === userId() && ['creator','administrator','member'].includes(m.status)));
const query = (c) => c.botId ? '?bot=' + c.botId : '';

async function loadState() {
  state = await api('/state');
  const sel = $('user'); const keep = sel.value;
  sel.innerHTML = '';
  for (const u of state.users) sel.add(new Option(u.first_name + (u.username ? ' @' + u.username : '') + ' · ' + u.id, u.id));
  if (keep && state.users.some((u) => String(u.id) === keep)) sel.value = keep;
  if (!sel.value && state.users.length === 0) {
    // A bare emulator (no demo): make a first user so the page is usable at once.
    await api('/users', { method: 'POST', body: { first_name: 'You' } });
    return loadState();
  }
  if (current) current = state.chats.find((c) => c.key === current.key) || null;
  drawChats();
  drawStars();
}

function drawStars() {
  const balance = state.stars ? state.stars[String(userId())] : undefined;
  $('stars').textContent = balance === undefined ? '' : 'Balance: ⭐ ' + balance.toLocaleString('en-US') + ' Stars';
}

function drawChats() {
  const ul = $('chats'); ul.innerHTML = '';
  const chats = visibleChats();
  for (const bot of state.bots) {
    if (!chats.some((c) => c.botId === bot.id)) {
      chats.unshift({ key: 'p:' + bot.id + ':' + userId(), chat: { id: userId(), type: 'private' }, botId: bot.id, members: [], pending: true });
    }
  }
  for (const c of chats) {
    const li = document.createElement('li');
    li.innerHTML = '<span></span><small></small>';
    li.firstChild.textContent = chatName(c);
    li.lastChild.textContent = c.chat.type === 'private' ? '@' + botOf(c).username : c.chat.type + ' · ' + c.members.filter((m) => ['creator','administrator','member'].includes(m.status)).length + ' members';
    if (current && current.key === c.key) li.className = 'active';
    li.onclick = () => { current = c; replyTo = null; drawChats(); loadMessages(); };
    ul.appendChild(li);
  }
}

function renderText(text, entities) {
  const frag = document.createDocumentFragment();
  if (!entities || !entities.length) { frag.append(text); return frag; }
  const cuts = new Set([0, text.length]);
  for (const e of entities) { cuts.add(e.offset); cuts.add(e.offset + e.length); }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    const [a, b] = [points[i], points[i + 1]];
    let node = document.createTextNode(text.slice(a, b));
    for (const e of entities.filter((x) => x.offset <= a && x.offset + x.length >= b)) {
      const tag = { bold:'b', italic:'i', underline:'u', strikethrough:'s', code:'code', pre:'pre', text_link:'a', url:'a', spoiler:'span', blockquote:'blockquote', expandable_blockquote:'blockquote' }[e.type];
      if (!tag) continue;
      const el = document.createElement(tag);
      if (tag === 'a') { el.href = e.url || text.slice(e.offset, e.offset + e.length); el.target = '_blank'; el.rel = 'noopener'; }
      if (e.type === 'spoiler') { el.className = 'spoiler'; el.onclick = () => el.classList.toggle('shown'); }
      el.appendChild(node); node = el;
    }
    frag.appendChild(node);
  }
  return frag;
}

function describe(m) {
  if (m.text !== undefined) return m.text;
  if (m.photo) return '🖼 Photo' + (m.caption ? ': ' + m.caption : '');
  if (m.sticker) return m.sticker.emoji + ' Sticker';
  if (m.document) return '📎 ' + m.document.file_name;
  if (m.invoice) return '🧾 Invoice: ' + m.invoice.title;
  return 'message';
}

function drawMessage(m) {
  const div = document.createElement('div');
  div.dataset.id = m.message_id;
  if (m.new_chat_members || m.left_chat_member) {
    div.className = 'msg service';
    div.textContent = m.new_chat_members ? (m.from ? m.from.first_name + ' added ' : '') + m.new_chat_members.map((u) => u.first_name).join(', ') : m.left_chat_member.first_name + ' left the chat';
    return div;
  }
  if (m.successful_payment || m.refunded_payment) {
    div.className = 'msg service';
    const p = m.successful_payment || m.refunded_payment;
    div.textContent = m.successful_payment ? (m.from ? m.from.first_name : 'Someone') + ' paid ' + p.total_amount + ' ⭐' : p.total_amount + ' ⭐ refunded to ' + current.chat.first_name;
    return div;
  }
  const mine = m.from && m.from.id === userId();
  div.className = 'msg' + (mine ? ' mine' : '');
  if (!mine && m.from && current.chat.type !== 'private') { const who = document.createElement('div'); who.className = 'who'; who.textContent = m.from.first_name; div.appendChild(who); }
  if (m.forward_origin) { const q = document.createElement('div'); q.className = 'quote'; q.textContent = 'Forwarded from ' + (m.forward_origin.sender_user ? m.forward_origin.sender_user.first_name : m.forward_origin.sender_user_name); div.appendChild(q); }
  if (m.reply_to_message) { const q = document.createElement('div'); q.className = 'quote'; q.textContent = (m.reply_to_message.from ? m.reply_to_message.from.first_name + ': ' : '') + describe(m.reply_to_message).slice(0, 80); div.appendChild(q); }
  if (m.invoice) { div.appendChild(drawInvoice(m)); return div; }
  const body = document.createElement('div');
  if (m.text !== undefined) body.appendChild(renderText(m.text, m.entities));
  else { body.append(describe(m).split(':')[0] + (m.caption ? ': ' : '')); if (m.caption) body.appendChild(renderText(m.caption, m.caption_entities)); }
  div.appendChild(body);
  if (m.reply_markup && m.reply_markup.inline_keyboard) {
    const kb = document.createElement('div'); kb.className = 'kb';
    for (const row of m.reply_markup.inline_keyboard) {
      const r = document.createElement('div'); r.className = 'row';
      for (const b of row) {
        const btn = document.createElement('button'); btn.type = 'button';
        btn.textContent = b.text + (b.url || b.web_app ? ' ↗' : '');
        btn.onclick = () => press(m, b);
        r.appendChild(btn);
      }
      kb.appendChild(r);
    }
    div.appendChild(kb);
  }
  const meta = document.createElement('div'); meta.className = 'meta';
  meta.textContent = (m.edit_date ? 'edited ' : '') + new Date((m.edit_date || m.date) * 1000).toLocaleTimeString();
  div.appendChild(meta);
  div.ondblclick = () => { replyTo = m.message_id; $('text').placeholder = 'Reply to: ' + describe(m).slice(0, 40); $('text').focus(); };
  return div;
}

// An invoice as Telegram's app shows it: title, description, price and a Pay button that pays as the chosen
// user through the emulator's payment sheet; the outcome (paid, or failed with the reason) stays under it.
const payOutcomes = {};
function drawInvoice(m) {
  const key = current.key + ':' + m.message_id;
  const box = document.createElement('div'); box.className = 'invoice';
  const title = document.createElement('b'); title.textContent = m.invoice.title; box.appendChild(title);
  const desc = document.createElement('div'); desc.textContent = m.invoice.description; box.appendChild(desc);
  const price = document.createElement('div'); price.className = 'price'; price.textContent = m.invoice.total_amount + ' ⭐'; box.appendChild(price);
  const kb = document.createElement('div'); kb.className = 'kb';
  const btn = document.createElement('button'); btn.type = 'button'; btn.className = 'pay';
  btn.textContent = 'Pay ' + m.invoice.total_amount + ' ⭐';
  btn.onclick = () => pay(m, key);
  kb.appendChild(btn); box.appendChild(kb);
  const outcome = payOutcomes[key];
  if (outcome) {
    const line = document.createElement('div'); line.className = 'outcome ' + outcome.status;
    line.textContent = outcome.status === 'paid' ? 'Paid ✓' : outcome.status === 'pending' ? 'Waiting for the bot to confirm…' : 'Payment failed: ' + outcome.reason;
    box.appendChild(line);
    btn.disabled = outcome.status === 'pending';
  }
  return box;
}

async function pay(m, key) {
  if (payOutcomes[key] && payOutcomes[key].status === 'pending') return;
  payOutcomes[key] = { status: 'pending' }; reload();
  try {
    payOutcomes[key] = await api('/chats/' + current.chat.id + '/messages/' + m.message_id + '/pay', { method: 'POST', body: { userId: userId(), bot: current.botId } });
  } catch (err) { payOutcomes[key] = { status: 'failed', reason: err.message }; }
  toast(payOutcomes[key].status === 'paid' ? 'Paid ' + m.invoice.total_amount + ' ⭐' : 'Payment failed: ' + payOutcomes[key].reason);
  reload();
}

async function press(m, b) {
  try {
    const res = await api('/chats/' + current.chat.id + '/messages/' + m.message_id + '/press', { method: 'POST', body: { userId: userId(), button: b.callback_data || b.text, bot: current.botId } });
    if (res.kind !== 'callback') { window.open(res.url, '_blank', 'noopener'); return; }
    const answer = await api('/callbacks/' + res.queryId + '/answer?timeoutMs=15000');
    if (answer.url) window.open(answer.url, '_blank', 'noopener');
    if (answer.text) answer.show_alert ? alert(answer.text) : toast(answer.text);
  } catch (err) { toast(err.message); }
}

async function loadMessages() {
  if (!current) return;
  const chat = current;
  const bot = botOf(chat);
  const members = chat.members.filter((m) => m.user && ['creator','administrator','member'].includes(m.status)).map((m) => m.user.first_name + (m.status === 'member' ? '' : ' (' + (m.status === 'creator' ? 'owner' : 'admin') + ')'));
  $('title').innerHTML = '<b></b><small></small>';
  $('title').firstChild.textContent = chatName(chat);
  $('title').lastChild.textContent = chat.chat.type === 'private' ? 'bot · @' + bot.username + (bot.webhook ? ' · webhook' : '') : members.join(', ');
  const messages = chat.pending ? [] : await api('/chats/' + chat.chat.id + '/messages' + query(chat));
  if (current !== chat) return;
  const box = $('messages'); box.innerHTML = '';
  if (!messages.length) box.innerHTML = '<div class="empty">No messages yet. Try /start</div>';
  for (const m of messages) box.appendChild(drawMessage(m));
  box.scrollTop = box.scrollHeight;
  drawReplyKeyboard();
  drawMenu();
}

function drawReplyKeyboard() {
  const el = $('replykb'); el.innerHTML = '';
  const kb = current && current.replyKeyboard;
  if (!kb) return;
  for (const row of kb.keyboard) {
    const r = document.createElement('div'); r.className = 'row';
    for (const b of row) { const btn = document.createElement('button'); btn.type = 'button'; btn.textContent = typeof b === 'string' ? b : b.text; btn.onclick = () => send(btn.textContent); r.appendChild(btn); }
    el.appendChild(r);
  }
}

function drawMenu() {
  const bot = current ? botOf(current) : null;
  const menu = $('menu');
  if (bot && bot.menuButton.type === 'web_app') { menu.textContent = bot.menuButton.text; menu.title = 'Open the Mini App'; }
  else { menu.textContent = '/'; menu.title = 'Commands'; }
}

$('menu').onclick = async () => {
  if (!current) return;
  const bot = botOf(current);
  if (bot.menuButton.type === 'web_app') {
    const res = await api('/webapp-url?url=' + encodeURIComponent(bot.menuButton.web_app.url) + '&userId=' + userId() + '&bot=' + bot.id);
    window.open(res.url, '_blank', 'noopener');
    return;
  }
  const list = $('commands');
  if (list.style.display === 'block') { list.style.display = 'none'; return; }
  list.innerHTML = '';
  for (const c of bot.commands) {
    const li = document.createElement('li'); li.textContent = '/' + c.command;
    const span = document.createElement('span'); span.textContent = c.description; li.appendChild(span);
    li.onclick = () => { list.style.display = 'none'; send('/' + c.command); };
    list.appendChild(li);
  }
  if (!bot.commands.length) list.innerHTML = '<li>The bot has set no commands</li>';
  list.style.display = 'block';
};

async function send(text) {
  if (!current || !text.trim()) return;
  try {
    await api('/chats/' + current.chat.id + '/messages', { method: 'POST', body: { userId: userId(), text, bot: current.botId, ...(replyTo ? { replyTo } : {}) } });
    replyTo = null; $('text').placeholder = 'Message or /command';
    if (current.pending) { await loadState(); current = state.chats.find((c) => c.key === current.key) || current; drawChats(); loadMessages(); }
  } catch (err) { toast(err.message); }
}

$('composer').onsubmit = (e) => { e.preventDefault(); const t = $('text').value; $('text').value = ''; send(t); };
$('user').onchange = () => { current = null; drawChats(); drawStars(); $('messages').innerHTML = '<div class="empty">No chat selected</div>'; };
$('addUser').onclick = async () => { const name = $('newName').value.trim(); if (!name) return; const u = await api('/users', { method: 'POST', body: { first_name: name } }); $('newName').value = ''; await loadState(); $('user').value = u.id; drawChats(); };

let reloadTimer = null;
const reload = () => { clearTimeout(reloadTimer); reloadTimer = setTimeout(loadMessages, 50); };
const events = new EventSource('/_emulator/events');
events.onmessage = (e) => {
  const ev = JSON.parse(e.data);
  if (ev.type === 'world') { loadState().then(() => current && (drawReplyKeyboard(), drawMenu())); return; }
  if (!current || ev.chatKey !== current.key) return;
  if (ev.type === 'chat_action') { $('typing').textContent = botOf(current).first_name + ' is ' + ev.action.replace(/_/g, ' ') + '…'; clearTimeout(drawReplyKeyboard.t); drawReplyKeyboard.t = setTimeout(() => ($('typing').textContent = ''), 5000); return; }
  if (ev.type === 'message' && ev.message.from && ev.message.from.is_bot) $('typing').textContent = '';
  if (ev.type === 'message') loadState().then(reload); else reload();
};
loadState();
</script>
</body>
</html>
`;

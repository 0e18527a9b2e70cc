/*
 * app.js - the Slack stand-in page: state, live updates (SSE), composer,
 * threads. Rendering of message content is delegated to blockkit.js.
 *
 * SECURITY: message content is only ever put in the DOM by BlockKit (text
 * nodes) or via textContent here. No innerHTML anywhere.
 */
(function () {
  'use strict';

  if (window.__sandboxAppStarted) return;
  window.__sandboxAppStarted = true;

  var BK = window.BlockKit;
  var AUTO_OPEN_WINDOW_MS = 10000;

  // ------------------------------------------------------------------ state

  var S = {
    loaded: false,
    team: { id: '', name: 'Sandbox' },
    me: { id: '', name: 'you' },
    bot: { id: '', name: 'bot' },
    users: {},
    channels: [],
    messages: [],          // in posting order
    current: null,         // channel id shown in the main pane
    thread: null,          // {channel, ts} of the open thread root
    lastActionAt: 0,       // time of my last send / click (auto-open rule)
    unread: {},            // channel id -> true
    loading: false,
    reloadAgain: false,
    buffer: []             // events received while /state is loading
  };

  // The app's own surfaces: its Home tab, assistant threads' suggested prompts, shortcuts.
  var A = {
    home: null,            // the Home view the app published for me
    prompts: {},           // channel + '|' + thread_ts -> {title, prompts: [{title, message}]}
    shortcuts: [],         // [{type, callback_id, name}] (the app's message shortcuts)
    tab: 'home',           // the tab shown in the DM with the app: 'home' or 'messages'
    tabUnread: false,      // a message arrived in Messages while Home was shown
    follow: null,          // {channel, ts}: a thread a Home button started, opened with Messages
    homeClickedAt: 0,
    pendingOpen: null,     // {channel, ts}: an assistant thread to open once its root arrives
    startedChat: {},       // channel id -> true once a chat was started there from this page
    menuFor: null          // the message whose shortcut menu is open
  };

  // -------------------------------------------------------------- DOM refs

  function $(id) { return document.getElementById(id); }

  var D = {
    workspace: $('workspace-name'),
    topbarTeam: $('topbar-team'),
    connection: $('connection'),
    channelList: $('channel-list'),
    dmList: $('dm-list'),
    title: $('channel-title'),
    topic: $('channel-topic'),
    intro: $('channel-intro'),
    mainScroller: $('main-scroller'),
    messages: $('messages'),
    composer: $('composer'),
    composerError: $('composer-error'),
    sendButton: $('send-button'),
    hint: $('composer-hint'),
    thread: $('thread'),
    threadChannel: $('thread-channel'),
    threadClose: $('thread-close'),
    threadScroller: $('thread-scroller'),
    threadMessages: $('thread-messages'),
    threadComposer: $('thread-composer'),
    threadComposerError: $('thread-composer-error'),
    threadSendButton: $('thread-send-button'),
    appTabs: $('app-tabs'),
    tabHome: $('tab-home'),
    tabMessages: $('tab-messages'),
    newChat: $('new-chat'),
    homePane: $('home-pane'),
    homeView: $('home-view'),
    mainComposerWrap: $('main-composer-wrap'),
    threadPrompts: $('thread-prompts'),
    threadPromptsTitle: $('thread-prompts-title'),
    threadPromptsList: $('thread-prompts-list'),
    shortcutMenu: $('shortcut-menu')
  };

  // ---------------------------------------------------------------- helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isReply(m) {
    return typeof m.thread_ts === 'string' && m.thread_ts !== '' && m.thread_ts !== m.ts;
  }

  function findIndex(channel, ts) {
    for (var i = 0; i < S.messages.length; i++) {
      var m = S.messages[i];
      if (m.channel === channel && m.ts === ts) return i;
    }
    return -1;
  }

  function findMessage(channel, ts) {
    var i = findIndex(channel, ts);
    return i === -1 ? null : S.messages[i];
  }

  function repliesOf(channel, rootTs) {
    return S.messages.filter(function (m) {
      return m.channel === channel && isReply(m) && m.thread_ts === rootTs;
    });
  }

  function channelById(id) {
    for (var i = 0; i < S.channels.length; i++) if (S.channels[i].id === id) return S.channels[i];
    return null;
  }

  function channelLabel(ch) {
    if (!ch) return '';
    return ch.kind === 'im' ? String(ch.name) : '#' + String(ch.name);
  }

  function userName(id) {
    if (id && Object.prototype.hasOwnProperty.call(S.users, id)) return String(S.users[id]);
    if (id === S.bot.id) return S.bot.name;
    if (id === S.me.id) return S.me.name;
    return id ? String(id) : 'unknown';
  }

  function isBot(id) {
    return !!id && id === S.bot.id;
  }

  function channelNames() {
    var map = {};
    S.channels.forEach(function (c) { map[c.id] = c.name; });
    return map;
  }

  function initials(name) {
    var parts = String(name).split(/[\s\-_.]+/).filter(Boolean);
    if (!parts.length) return '?';
    var s = parts[0].charAt(0) + (parts.length > 1 ? parts[1].charAt(0) : '');
    return s.toUpperCase();
  }

  var AVATAR_COLORS = ['#2bac76', '#e8912d', '#1264a3', '#cd2553', '#36c5f0', '#9e5fa8', '#4d8f2e', '#d4603a'];

  function avatarColor(id) {
    if (isBot(id)) return '#611f69';
    var h = 0;
    var s = String(id || '');
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
    return AVATAR_COLORS[h % AVATAR_COLORS.length];
  }

  function makeAvatar(userId, small) {
    var a = el('div', small ? 'avatar avatar-small' : 'avatar', initials(userName(userId)));
    a.setAttribute('aria-hidden', 'true');
    a.style.backgroundColor = avatarColor(userId);
    return a;
  }

  function tsDate(ts) {
    var n = parseFloat(ts);
    return isFinite(n) ? new Date(n * 1000) : null;
  }

  function formatTime(ts) {
    var d = tsDate(ts);
    if (!d) return '';
    return d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
  }

  function makeTime(ts) {
    var t = el('time', 'timestamp', formatTime(ts));
    var d = tsDate(ts);
    if (d) {
      t.setAttribute('datetime', d.toISOString());
      t.title = d.toLocaleString();
    }
    return t;
  }

  function isNearBottom(scroller) {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  }

  function scrollToBottom(scroller) {
    scroller.scrollTop = scroller.scrollHeight;
    scroller.__stick = true;
  }

  function childFor(list, channel, ts) {
    var kids = list.children;
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      if (k.classList.contains('message') && k.getAttribute('data-channel') === channel && k.getAttribute('data-ts') === ts) return k;
    }
    return null;
  }

  // ------------------------------------------------------- message elements

  function buildMessage(m, pane) {
    var item = el('div', 'message');
    item.setAttribute('role', 'listitem');
    item.setAttribute('data-ts', m.ts);
    item.setAttribute('data-channel', m.channel);
    if (typeof m.thread_ts === 'string' && m.thread_ts) item.setAttribute('data-thread-ts', m.thread_ts);
    if (m.ephemeral) {
      item.setAttribute('data-ephemeral', 'true');
      item.classList.add('is-ephemeral');
    }
    if (m.user) item.setAttribute('data-user', m.user);
    if (isBot(m.user)) item.classList.add('from-bot');

    item.appendChild(makeAvatar(m.user, false));

    var body = el('div', 'message-body');
    item.appendChild(body);

    if (m.ephemeral) {
      var note = el('div', 'ephemeral-note');
      var eye = el('span', 'ephemeral-icon', '\u{1F441}\uFE0F');
      eye.setAttribute('aria-hidden', 'true');
      note.appendChild(eye);
      note.appendChild(el('span', 'ephemeral-label', 'Only visible to you'));
      body.appendChild(note);
    }

    var meta = el('div', 'message-meta');
    meta.appendChild(el('span', 'sender', userName(m.user)));
    if (isBot(m.user)) meta.appendChild(el('span', 'app-badge', 'APP'));
    meta.appendChild(makeTime(m.ts));
    body.appendChild(meta);

    var opts = {
      users: S.users,
      channels: channelNames(),
      onAction: function (action, button) { handleAction(m, action, button, pane); }
    };

    var content = el('div', 'message-content');
    var blocks = Array.isArray(m.blocks) ? m.blocks : [];
    if (blocks.length) {
      // Slack marks "(edited)" on text messages only: an app updating its Block Kit
      // message (a question once answered, a thank-you for feedback) shows no label.
      content.appendChild(BK.renderBlocks(blocks, opts));
    } else {
      var text = el('div', 'message-text bk-mrkdwn');
      text.appendChild(BK.renderMrkdwn(typeof m.text === 'string' ? m.text : '', opts));
      if (m.edited) {
        text.appendChild(document.createTextNode(' '));
        text.appendChild(el('span', 'edited', '(edited)'));
      }
      content.appendChild(text);
    }
    (Array.isArray(m.files) ? m.files : []).forEach(function (file) {
      content.appendChild(renderFile(file));
    });
    body.appendChild(content);

    var tools = el('div', 'message-actions');
    if (pane === 'main' && !isReply(m)) {
      var summary = buildSummary(m);
      if (summary) body.appendChild(summary);
      if (!m.ephemeral) {
        var replyBtn = el('button', 'message-action', '\u{1F4AC}');
        replyBtn.type = 'button';
        replyBtn.setAttribute('aria-label', 'Reply in thread');
        replyBtn.title = 'Reply in thread';
        replyBtn.addEventListener('click', function () {
          openThread(m.channel, m.ts, true);
        });
        tools.appendChild(replyBtn);
      }
    }
    if (!m.ephemeral && A.shortcuts.length) {
      var moreBtn = el('button', 'message-action message-more', '\u22EF');
      moreBtn.type = 'button';
      moreBtn.setAttribute('aria-label', 'More actions');
      moreBtn.setAttribute('aria-haspopup', 'menu');
      moreBtn.title = 'More actions';
      moreBtn.addEventListener('click', function (ev) {
        ev.stopPropagation();
        openShortcutMenu(m, moreBtn, pane);
      });
      tools.appendChild(moreBtn);
    }
    if (tools.children.length) item.appendChild(tools);
    return item;
  }

  function buildSummary(root) {
    var replies = repliesOf(root.channel, root.ts);
    if (!replies.length) return null;
    var box = el('div', 'thread-summary');
    var seen = {};
    var faces = el('span', 'thread-faces');
    replies.forEach(function (r) {
      if (seen[r.user] || Object.keys(seen).length >= 3) return;
      seen[r.user] = true;
      faces.appendChild(makeAvatar(r.user, true));
    });
    box.appendChild(faces);
    var n = replies.length;
    var link = el('a', 'replies', n === 1 ? '1 reply' : n + ' replies');
    link.setAttribute('href', '#');
    link.setAttribute('data-reply-count', String(n));
    link.addEventListener('click', function (ev) {
      ev.preventDefault();
      openThread(root.channel, root.ts, true);
    });
    box.appendChild(link);
    var last = replies[replies.length - 1];
    box.appendChild(el('span', 'last-reply', 'Last reply at ' + formatTime(last.ts)));
    return box;
  }

  function refreshSummary(channel, rootTs) {
    var node = childFor(D.messages, channel, rootTs);
    var root = findMessage(channel, rootTs);
    if (!node || !root) return;
    var body = node.querySelector('.message-body');
    var old = body && body.querySelector(':scope > .thread-summary');
    var fresh = buildSummary(root);
    if (old && fresh) old.replaceWith(fresh);
    else if (old) old.remove();
    else if (fresh && body) body.appendChild(fresh);
  }

  // --------------------------------------------------------------- sidebar

  function renderSidebar() {
    D.workspace.textContent = S.team.name || 'Sandbox';
    D.topbarTeam.textContent = S.team.name || 'Sandbox';
    document.title = (S.team.name || 'Sandbox') + ' – Slack stand-in';
    D.channelList.replaceChildren();
    D.dmList.replaceChildren();
    S.channels.forEach(function (ch) {
      var li = el('li');
      var btn = el('button', 'sidebar-item');
      btn.type = 'button';
      btn.setAttribute('data-channel-id', ch.id);
      if (ch.kind === 'im') {
        var dot = el('span', 'presence');
        dot.setAttribute('aria-hidden', 'true');
        btn.appendChild(dot);
        btn.appendChild(el('span', 'sidebar-name', ch.name));
        if (ch.name === S.bot.name) btn.appendChild(el('span', 'sidebar-app', 'APP'));
      } else {
        var hash = el('span', 'sidebar-hash', '#');
        hash.setAttribute('aria-hidden', 'true');
        btn.appendChild(hash);
        btn.appendChild(el('span', 'sidebar-name', ch.name));
      }
      btn.addEventListener('click', function () {
        setChannel(ch.id);
        D.composer.focus();
      });
      li.appendChild(btn);
      (ch.kind === 'im' ? D.dmList : D.channelList).appendChild(li);
    });
    updateSidebarState();
  }

  function updateSidebarState() {
    var items = document.querySelectorAll('.sidebar-item');
    for (var i = 0; i < items.length; i++) {
      var id = items[i].getAttribute('data-channel-id');
      var active = id === S.current;
      items[i].classList.toggle('active', active);
      items[i].classList.toggle('unread', !active && !!S.unread[id]);
      if (active) items[i].setAttribute('aria-current', 'page');
      else items[i].removeAttribute('aria-current');
    }
  }

  // ------------------------------------------------------------- main pane

  function setChannel(id) {
    if (!channelById(id)) return;
    var changed = id !== S.current;
    S.current = id;
    delete S.unread[id];
    if (changed && S.thread && S.thread.channel !== id) closeThread();
    try { history.replaceState(null, '', '#' + id); } catch (e) { /* ignore */ }
    updateSidebarState();
    renderHeader();
    if (changed) hideError(D.composerError);
    renderMain();
    if (changed) showAppTab(isAppDm(channelById(id)) ? A.tab : null, true);
  }

  function renderHeader() {
    var ch = channelById(S.current);
    D.title.replaceChildren();
    if (!ch) return;
    if (ch.kind === 'im') {
      D.title.appendChild(el('span', null, ch.name));
      if (ch.name === S.bot.name) D.title.appendChild(el('span', 'app-badge', 'APP'));
      D.topic.textContent = 'Direct message';
    } else {
      D.title.appendChild(el('span', 'title-hash', '#'));
      D.title.appendChild(el('span', null, ch.name));
      D.topic.textContent = 'Mention @' + S.bot.name + ' or use /usecase';
    }
    var ph = 'Message ' + channelLabel(ch);
    D.composer.setAttribute('placeholder', ph);
    D.composer.setAttribute('aria-label', ph);

    D.intro.replaceChildren();
    if (ch.kind === 'im') {
      var head = el('div', 'intro-head');
      head.appendChild(makeAvatar(S.bot.name === ch.name ? S.bot.id : ch.id, false));
      head.appendChild(el('span', 'intro-title', ch.name));
      D.intro.appendChild(head);
      D.intro.appendChild(el('p', 'intro-text', 'This conversation is just between you and ' + ch.name + '. Ask it about a Segment use case.'));
    } else {
      D.intro.appendChild(el('div', 'intro-title', '#' + ch.name));
      D.intro.appendChild(el('p', 'intro-text', 'This is the very beginning of the #' + ch.name + ' channel. Mention @' + S.bot.name + ' or type /usecase to try the bot.'));
    }
  }

  function renderMain() {
    D.messages.replaceChildren();
    S.messages.forEach(function (m) {
      if (m.channel === S.current && !isReply(m)) D.messages.appendChild(buildMessage(m, 'main'));
    });
    scrollToBottom(D.mainScroller);
  }

  // ---------------------------------------------------------------- thread

  function openThread(channel, ts, focus) {
    if (!findMessage(channel, ts)) return;
    if (channel !== S.current && channelById(channel)) setChannel(channel);
    var same = S.thread && S.thread.channel === channel && S.thread.ts === ts;
    S.thread = { channel: channel, ts: ts };
    D.thread.hidden = false;
    document.body.classList.add('thread-open');
    if (!same) {
      hideError(D.threadComposerError);
      D.threadComposer.value = '';
      autosize(D.threadComposer);
    }
    renderThread();
    markThreadRoot();
    if (focus) D.threadComposer.focus();
  }

  function closeThread() {
    S.thread = null;
    D.thread.hidden = true;
    document.body.classList.remove('thread-open');
    D.threadMessages.replaceChildren();
    markThreadRoot();
  }

  function markThreadRoot() {
    var kids = D.messages.children;
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      var on = !!S.thread && k.getAttribute('data-channel') === S.thread.channel && k.getAttribute('data-ts') === S.thread.ts;
      k.classList.toggle('is-thread-root', on);
    }
  }

  function renderThread() {
    if (!S.thread) return;
    var root = findMessage(S.thread.channel, S.thread.ts);
    if (!root) { closeThread(); return; }
    D.threadChannel.textContent = channelLabel(channelById(root.channel));
    D.threadMessages.replaceChildren();
    D.threadMessages.appendChild(buildMessage(root, 'thread'));
    var replies = repliesOf(root.channel, root.ts);
    D.threadMessages.appendChild(buildSeparator(replies.length));
    replies.forEach(function (r) {
      D.threadMessages.appendChild(buildMessage(r, 'thread'));
    });
    scrollToBottom(D.threadScroller);
    renderThreadPrompts();
  }

  function buildSeparator(n) {
    var sep = el('div', 'thread-separator');
    sep.setAttribute('aria-hidden', 'true');
    sep.setAttribute('role', 'none');
    sep.appendChild(el('span', 'thread-separator-text', n === 1 ? '1 reply' : n + ' replies'));
    sep.hidden = n === 0;
    return sep;
  }

  function refreshSeparator() {
    if (!S.thread) return;
    var old = D.threadMessages.querySelector(':scope > .thread-separator');
    var fresh = buildSeparator(repliesOf(S.thread.channel, S.thread.ts).length);
    if (old) old.replaceWith(fresh);
  }

  function threadShows(channel, rootTs) {
    return !!S.thread && S.thread.channel === channel && S.thread.ts === rootTs;
  }

  // ------------------------------------------------------- state & events

  function normalizeMessage(m) {
    if (!m || typeof m !== 'object' || typeof m.channel !== 'string' || typeof m.ts !== 'string') return null;
    return m;
  }

  function snapshot(st) {
    return JSON.stringify([st.team, st.me, st.bot, st.users, st.channels, st.messages]);
  }

  function applyAppState(st) {
    A.home = st.home && typeof st.home === 'object' ? st.home : null;
    A.shortcuts = Array.isArray(st.shortcuts) ? st.shortcuts.filter(function (x) {
      return x && typeof x.callback_id === 'string' && typeof x.name === 'string';
    }) : [];
    A.prompts = {};
    (Array.isArray(st.prompts) ? st.prompts : []).forEach(setPrompts);
  }

  function applyState(st) {
    if (!st || typeof st !== 'object') throw new Error('bad /state');
    var next = {
      team: st.team || S.team,
      me: st.me || S.me,
      bot: st.bot || S.bot,
      users: st.users && typeof st.users === 'object' ? st.users : {},
      channels: Array.isArray(st.channels) ? st.channels.filter(function (c) { return c && typeof c.id === 'string'; }) : [],
      messages: (Array.isArray(st.messages) ? st.messages : []).map(normalizeMessage).filter(Boolean)
    };
    var unchanged = S.loaded && snapshot(next) === snapshot(S);
    var firstLoad = !S.loaded;
    applyAppState(st);
    renderHome();
    renderThreadPrompts();
    S.team = next.team; S.me = next.me; S.bot = next.bot;
    S.users = next.users; S.channels = next.channels; S.messages = next.messages;
    S.loaded = true;
    document.body.setAttribute('data-loaded', 'true');
    if (unchanged) return;

    renderSidebar();
    var want = S.current;
    if (!channelById(want)) {
      var fromHash = decodeURIComponent(location.hash.replace(/^#/, ''));
      want = channelById(fromHash) ? fromHash : null;
    }
    if (!want) {
      var firstChannel = S.channels.filter(function (c) { return c.kind !== 'im'; })[0] || S.channels[0];
      want = firstChannel ? firstChannel.id : null;
    }
    S.current = want;
    if (want) delete S.unread[want];
    updateSidebarState();
    renderHeader();
    renderMain();
    if (S.thread) {
      if (findMessage(S.thread.channel, S.thread.ts)) { renderThread(); markThreadRoot(); }
      else closeThread();
    }
    if (firstLoad) showAppTab(isAppDm(channelById(S.current)) ? A.tab : null, true);
    else renderAppTab();
  }

  function loadState() {
    if (S.loading) { S.reloadAgain = true; return; }
    S.loading = true;
    S.reloadAgain = false;
    fetch('/state', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('GET /state failed: HTTP ' + r.status);
        return r.json();
      })
      .then(function (st) {
        applyState(st);
        S.loading = false;
        var pending = S.buffer;
        S.buffer = [];
        pending.forEach(handleEvent);
        if (S.reloadAgain) loadState();
      })
      .catch(function (err) {
        S.loading = false;
        S.buffer = [];
        setStatus('Could not load the sandbox (' + (err && err.message ? err.message : err) + '). Retrying…', true);
        setTimeout(loadState, 2000);
      });
  }

  function handleEvent(ev) {
    if (!ev || typeof ev !== 'object') return;
    if (S.loading || !S.loaded) {
      if (ev.type === 'reset') { S.reloadAgain = true; return; }
      S.buffer.push(ev);
      return;
    }
    if (ev.type === 'message') onMessage(normalizeMessage(ev.message));
    else if (ev.type === 'delete') onDelete(ev.channel, ev.ts);
    else if (ev.type === 'reset') loadState();
    else if (ev.type === 'view') onView(ev);
    else if (ev.type === 'prompts') { setPrompts(ev); renderThreadPrompts(); }
  }

  function onMessage(m) {
    if (!m) return;
    var idx = findIndex(m.channel, m.ts);
    if (idx !== -1) {
      var old = S.messages[idx];
      S.messages[idx] = m;
      if (isReply(old) !== isReply(m) || old.thread_ts !== m.thread_ts) {
        renderMain();
        if (S.thread) renderThread();
        return;
      }
      replaceInPane(D.messages, D.mainScroller, m, 'main');
      replaceInPane(D.threadMessages, D.threadScroller, m, 'thread');
      if (isReply(m)) refreshSummary(m.channel, m.thread_ts);
      markThreadRoot();
      return;
    }

    S.messages.push(m);
    noticeInApp(m);
    if (!isReply(m)) {
      if (m.channel === S.current) {
        D.messages.appendChild(buildMessage(m, 'main'));
        scrollToBottom(D.mainScroller);
      } else if (channelById(m.channel)) {
        S.unread[m.channel] = true;
        updateSidebarState();
      }
      return;
    }

    // A thread reply.
    if (m.channel === S.current) refreshSummary(m.channel, m.thread_ts);
    if (threadShows(m.channel, m.thread_ts)) {
      D.threadMessages.appendChild(buildMessage(m, 'thread'));
      refreshSeparator();
      scrollToBottom(D.threadScroller);
    }
    var fromMe = m.user && m.user === S.me.id && !m.ephemeral;
    if (!fromMe && S.lastActionAt && Date.now() - S.lastActionAt <= AUTO_OPEN_WINDOW_MS &&
        findMessage(m.channel, m.thread_ts)) {
      S.lastActionAt = 0;
      if (!threadShows(m.channel, m.thread_ts)) openThread(m.channel, m.thread_ts, false);
    }
  }

  function replaceInPane(list, scroller, m, pane) {
    var node = childFor(list, m.channel, m.ts);
    if (!node) return;
    var stick = isNearBottom(scroller);
    node.replaceWith(buildMessage(m, pane));
    if (stick) scrollToBottom(scroller);
  }

  function onDelete(channel, ts) {
    var idx = findIndex(channel, ts);
    if (idx === -1) return;
    var m = S.messages[idx];
    S.messages.splice(idx, 1);
    var a = childFor(D.messages, channel, ts);
    if (a) a.remove();
    if (threadShows(channel, ts)) {
      closeThread();
    } else {
      var b = childFor(D.threadMessages, channel, ts);
      if (b) b.remove();
      refreshSeparator();
    }
    if (isReply(m)) refreshSummary(channel, m.thread_ts);
  }

  // -------------------------------------------- the app: Home tab, prompts

  function isAppDm(ch) {
    return !!ch && ch.kind === 'im' && ch.name === S.bot.name;
  }

  function promptKey(channel, ts) {
    return String(channel) + '|' + String(ts);
  }

  function setPrompts(p) {
    if (!p || typeof p.channel !== 'string' || typeof p.thread_ts !== 'string' || !Array.isArray(p.prompts)) return;
    A.prompts[promptKey(p.channel, p.thread_ts)] = {
      title: typeof p.title === 'string' ? p.title : '',
      prompts: p.prompts.filter(function (x) {
        return x && typeof x.title === 'string' && typeof x.message === 'string';
      })
    };
  }

  /** Shows the DM's Home or Messages tab (null: not the DM with the app). With `opened`,
   *  Slack's side is told, as Slack does when a person opens a tab. */
  function showAppTab(tab, opened) {
    if (tab) A.tab = tab;
    renderAppTab();
    if (!tab || !opened) return;
    postJSON('/home-opened', { tab: tab });
    if (tab === 'messages') {
      A.tabUnread = false;
      renderAppTab();
      if (A.follow && findMessage(A.follow.channel, A.follow.ts)) {
        openThread(A.follow.channel, A.follow.ts, false);
      } else {
        ensureChat();
      }
      A.follow = null;
    }
  }

  function renderAppTab() {
    var inApp = isAppDm(channelById(S.current));
    var home = inApp && A.tab === 'home';
    D.appTabs.hidden = !inApp;
    D.tabHome.setAttribute('aria-selected', home ? 'true' : 'false');
    D.tabMessages.setAttribute('aria-selected', inApp && !home ? 'true' : 'false');
    D.tabHome.tabIndex = home ? 0 : -1;
    D.tabMessages.tabIndex = inApp && !home ? 0 : -1;
    D.tabMessages.classList.toggle('unread', inApp && home && A.tabUnread);
    D.newChat.hidden = !inApp || home;
    D.topic.hidden = inApp;
    D.homePane.hidden = !home;
    D.mainScroller.hidden = home;
    D.mainComposerWrap.hidden = home;
    document.body.classList.toggle('on-home', home);
  }

  function renderHome() {
    D.homeView.replaceChildren();
    if (!A.home || !Array.isArray(A.home.blocks)) {
      D.homeView.appendChild(el('p', 'home-empty', 'Opening the Home tab\u2026'));
      return;
    }
    D.homeView.appendChild(BK.renderBlocks(A.home.blocks, {
      users: S.users,
      channels: channelNames(),
      onAction: handleViewAction
    }));
  }

  function onView(ev) {
    if (ev.user !== S.me.id || !ev.view || typeof ev.view !== 'object') return;
    A.home = ev.view;
    var top = D.homePane.scrollTop;
    renderHome();
    D.homePane.scrollTop = ev.view.private_metadata === (A.shownPage || '0') ? top : 0;
    A.shownPage = String(ev.view.private_metadata || '0');
  }

  function handleViewAction(action, button) {
    if (action.url) openExternal(action.url);
    A.homeClickedAt = Date.now();
    hideError(D.composerError);
    if (button) {
      button.disabled = true;
      button.classList.add('is-pending');
    }
    postJSON('/click-view', {
      action_id: action.action_id,
      block_id: action.block_id,
      value: action.value === undefined ? null : action.value
    }).then(function (res) {
      if (button) {
        button.disabled = false;
        button.classList.remove('is-pending');
      }
      if (!res.ok) {
        var box = el('div', 'composer-error', 'Button failed: ' + (res.error || 'unknown error'));
        box.setAttribute('role', 'alert');
        D.homeView.prepend(box);
      }
    });
  }

  /** A new message in the DM with the app, seen from the app's point of view. */
  function noticeInApp(m) {
    var ch = channelById(m.channel);
    if (!isAppDm(ch)) return;
    if (A.pendingOpen && A.pendingOpen.channel === m.channel && A.pendingOpen.ts === m.ts) {
      A.pendingOpen = null;
      setTimeout(function () { openThread(m.channel, m.ts, false); }, 0);
    }
    if (S.current === m.channel && A.tab === 'home' && !m.ephemeral) {
      A.tabUnread = true;
      // what a Home button started waits in its thread: opened with the Messages tab
      if (isReply(m) && A.homeClickedAt && Date.now() - A.homeClickedAt <= AUTO_OPEN_WINDOW_MS) {
        A.follow = { channel: m.channel, ts: m.thread_ts };
      } else if (!isReply(m) && A.homeClickedAt && Date.now() - A.homeClickedAt <= AUTO_OPEN_WINDOW_MS) {
        A.follow = null;
      }
      renderAppTab();
    }
  }

  /** Opening the Messages tab of an empty DM starts an assistant thread, as Slack's assistant
   *  container does; "+ New chat" starts another. */
  function ensureChat() {
    var channel = S.current;
    if (!channel || A.startedChat[channel]) return;
    if (S.messages.some(function (m) { return m.channel === channel; })) return;
    startChat();
  }

  function startChat() {
    var channel = S.current;
    if (!isAppDm(channelById(channel))) return;
    A.startedChat[channel] = true;
    postJSON('/assistant-thread', { channel: channel }).then(function (res) {
      if (!res.ok) { showError(D.composerError, 'New chat failed: ' + (res.error || 'unknown error')); return; }
      if (findMessage(channel, res.ts)) openThread(channel, res.ts, false);
      else A.pendingOpen = { channel: channel, ts: res.ts };
    });
  }

  function renderThreadPrompts() {
    var shown = S.thread ? A.prompts[promptKey(S.thread.channel, S.thread.ts)] : null;
    D.threadPromptsList.replaceChildren();
    D.threadPrompts.hidden = !shown || !shown.prompts.length;
    if (D.threadPrompts.hidden) return;
    D.threadPromptsTitle.textContent = shown.title || 'Suggested prompts';
    var thread = { channel: S.thread.channel, ts: S.thread.ts };
    shown.prompts.forEach(function (prompt) {
      var chip = el('button', 'prompt', prompt.title);
      chip.type = 'button';
      chip.title = prompt.message;
      chip.addEventListener('click', function () {
        S.lastActionAt = Date.now();
        hideError(D.threadComposerError);
        postJSON('/send', { channel: thread.channel, text: prompt.message, thread_ts: thread.ts }).then(function (res) {
          if (!res.ok) showError(D.threadComposerError, 'Not sent: ' + (res.error || 'unknown error'));
        });
      });
      D.threadPromptsList.appendChild(chip);
    });
  }

  // -------------------------------------------------------------- shortcuts

  function openShortcutMenu(m, anchor, pane) {
    var menu = D.shortcutMenu;
    if (!menu.hidden && A.menuFor === m) { closeShortcutMenu(); return; }
    A.menuFor = m;
    menu.replaceChildren();
    menu.appendChild(el('div', 'shortcut-menu-heading', 'Message shortcuts'));
    A.shortcuts.forEach(function (sc) {
      var item = el('button', 'shortcut-item');
      item.type = 'button';
      item.setAttribute('role', 'menuitem');
      item.appendChild(el('span', 'shortcut-name', sc.name));
      item.appendChild(el('span', 'shortcut-app', S.bot.name));
      item.addEventListener('click', function () {
        closeShortcutMenu();
        runShortcut(m, sc, pane);
      });
      menu.appendChild(item);
    });
    menu.hidden = false;
    var r = anchor.getBoundingClientRect();
    var width = menu.offsetWidth;
    menu.style.top = Math.min(r.bottom + 4, window.innerHeight - menu.offsetHeight - 8) + 'px';
    menu.style.left = Math.max(8, r.right - width) + 'px';
    var first = menu.querySelector('.shortcut-item');
    if (first) first.focus();
  }

  function closeShortcutMenu() {
    D.shortcutMenu.hidden = true;
    A.menuFor = null;
  }

  function runShortcut(m, sc, pane) {
    var errBox = pane === 'thread' ? D.threadComposerError : D.composerError;
    hideError(errBox);
    postJSON('/shortcut', { channel: m.channel, ts: m.ts, callback_id: sc.callback_id }).then(function (res) {
      if (!res.ok) showError(errBox, 'Shortcut failed: ' + (res.error || 'unknown error'));
    });
  }

  // ------------------------------------------------------------------- SSE

  var es = null;

  function setStatus(text, bad) {
    D.connection.textContent = text || '';
    D.connection.classList.toggle('bad', !!bad);
  }

  function connect() {
    if (es) { try { es.close(); } catch (e) { /* ignore */ } }
    document.body.setAttribute('data-sse', 'connecting');
    es = new EventSource('/events');
    es.onopen = function () {
      document.body.setAttribute('data-sse', 'open');
      setStatus('', false);
      // Initial connect or reconnect: resynchronise; events that arrive while
      // /state loads are buffered and replayed, so nothing is lost.
      loadState();
    };
    es.onerror = function () {
      document.body.setAttribute('data-sse', 'reconnecting');
      setStatus('Reconnecting…', true);
      if (es.readyState === EventSource.CLOSED) {
        var dead = es;
        setTimeout(function () { if (es === dead) connect(); }, 2000);
      }
    };
    var onData = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      handleEvent(data);
    };
    es.onmessage = onData;
    es.addEventListener('delete', onData);
    es.addEventListener('reset', onData);
  }

  // -------------------------------------------------------------- actions

  function postJSON(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        if (data && typeof data === 'object' && 'ok' in data) return data;
        return { ok: r.ok, error: r.ok ? undefined : 'HTTP ' + r.status + (t ? ': ' + t.slice(0, 200) : '') };
      });
    }).catch(function (err) {
      return { ok: false, error: 'network error: ' + (err && err.message ? err.message : String(err)) };
    });
  }

  function showError(box, text) {
    box.textContent = text;
    box.hidden = false;
  }

  function hideError(box) {
    box.textContent = '';
    box.hidden = true;
  }

  function openExternal(url) {
    var safe = BK.safeUrl(url, ['http:', 'https:']);
    if (!safe) return;
    var a = document.createElement('a');
    a.setAttribute('href', safe);
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  // A file shared with a message (a tracking plan): its name, and its text one click away.
  function renderFile(file) {
    var card = el('details', 'file-card');
    var summary = el('summary', 'file-name');
    var name = String(file.name || '');
    var dot = name.lastIndexOf('.');
    summary.appendChild(el('span', 'file-icon', dot > 0 ? name.slice(dot + 1).toUpperCase() : 'FILE'));
    summary.appendChild(el('span', 'file-title', String(file.title || file.name || 'file')));
    summary.appendChild(el('span', 'file-meta', String(file.name || '')));
    card.appendChild(summary);
    card.appendChild(el('pre', 'file-content', String(file.content || '')));
    return card;
  }

  function handleAction(m, action, button, pane) {
    if (action.url) openExternal(action.url);
    S.lastActionAt = Date.now();
    var errBox = pane === 'thread' ? D.threadComposerError : D.composerError;
    hideError(errBox);
    if (button) {
      button.disabled = true;
      button.classList.add('is-pending');
    }
    postJSON('/click', {
      channel: m.channel,
      ts: m.ts,
      action_id: action.action_id,
      block_id: action.block_id,
      value: action.value === undefined ? null : action.value,
      type: action.type || 'button',
      selected_option: action.selected_option || null,
      selected_conversation: action.selected_conversation || null,
      state: button && button.closest('.message-content') ? BK.stateOf(button.closest('.message-content')) : null
    }).then(function (res) {
      if (button) {
        button.disabled = false;
        button.classList.remove('is-pending');
      }
      if (!res.ok) showError(errBox, 'Button failed: ' + (res.error || 'unknown error'));
    });
  }

  function send(which) {
    var inThread = which === 'thread';
    var ta = inThread ? D.threadComposer : D.composer;
    var errBox = inThread ? D.threadComposerError : D.composerError;
    var text = ta.value.replace(/^\s+|\s+$/g, '');
    ta.focus();
    if (!text) return;
    var channel = inThread ? (S.thread && S.thread.channel) : S.current;
    if (!channel) return;
    var threadTs = inThread ? S.thread.ts : null;

    S.lastActionAt = Date.now();
    hideError(errBox);
    ta.value = '';
    autosize(ta);

    postJSON('/send', { channel: channel, text: text, thread_ts: threadTs }).then(function (res) {
      if (!res.ok) {
        showError(errBox, 'Not sent: ' + (res.error || 'unknown error'));
        if (!ta.value) { ta.value = text; autosize(ta); }
      }
    });
  }

  function autosize(ta) {
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight, 220) + 'px';
  }

  function wireComposer(ta, button, which) {
    ta.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        send(which);
      } else if (e.key === 'Escape' && which === 'thread') {
        closeThread();
        D.composer.focus();
      }
    });
    ta.addEventListener('input', function () { autosize(ta); });
    button.addEventListener('click', function () { send(which); });
  }

  function wireStickyScroll(scroller) {
    scroller.__stick = true;
    scroller.addEventListener('scroll', function () { scroller.__stick = isNearBottom(scroller); });
    // Images load after layout; keep the newest message in view.
    scroller.addEventListener('load', function () {
      if (scroller.__stick) scroller.scrollTop = scroller.scrollHeight;
    }, true);
  }

  // ----------------------------------------------------------------- boot

  wireComposer(D.composer, D.sendButton, 'main');
  wireComposer(D.threadComposer, D.threadSendButton, 'thread');
  wireStickyScroll(D.mainScroller);
  wireStickyScroll(D.threadScroller);

  D.tabHome.addEventListener('click', function () { showAppTab('home', true); });
  D.tabMessages.addEventListener('click', function () { showAppTab('messages', true); });
  D.appTabs.addEventListener('keydown', function (e) {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    var next = A.tab === 'home' ? 'messages' : 'home';
    showAppTab(next, true);
    (next === 'home' ? D.tabHome : D.tabMessages).focus();
  });
  D.newChat.addEventListener('click', startChat);
  document.addEventListener('click', function (e) {
    if (!D.shortcutMenu.hidden && !(e.target instanceof Element && D.shortcutMenu.contains(e.target))) closeShortcutMenu();
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && !D.shortcutMenu.hidden) closeShortcutMenu();
  });
  window.addEventListener('resize', closeShortcutMenu);
  D.mainScroller.addEventListener('scroll', closeShortcutMenu);
  D.threadScroller.addEventListener('scroll', closeShortcutMenu);

  D.threadClose.addEventListener('click', function () {
    closeThread();
    D.composer.focus();
  });

  D.hint.addEventListener('click', function (e) {
    var t = e.target instanceof Element ? e.target.closest('[data-hint]') : null;
    if (!t) return;
    D.composer.value = t.getAttribute('data-hint');
    autosize(D.composer);
    D.composer.focus();
  });

  window.addEventListener('hashchange', function () {
    var id = decodeURIComponent(location.hash.replace(/^#/, ''));
    if (channelById(id) && id !== S.current) setChannel(id);
  });

  // As Slack does, a message right after another from the same author (within five minutes)
  // is grouped under it: no avatar or name again, only its text.
  var GROUP_SECONDS = 300;
  function regroup(list) {
    var prev = null;
    Array.prototype.forEach.call(list.children, function (k) {
      if (!k.classList.contains('message')) { prev = null; return; }
      var grouped = !!prev && prev.getAttribute('data-user') === k.getAttribute('data-user') &&
        !prev.classList.contains('is-ephemeral') && !k.classList.contains('is-ephemeral') &&
        parseFloat(k.getAttribute('data-ts')) - parseFloat(prev.getAttribute('data-ts')) < GROUP_SECONDS;
      k.classList.toggle('is-grouped', grouped);
      prev = k;
    });
  }
  [D.messages, D.threadMessages].forEach(function (list) {
    new MutationObserver(function () { regroup(list); }).observe(list, { childList: true });
  });

  document.body.setAttribute('data-loaded', 'false');
  loadState();
  connect();
  D.composer.focus();
})();

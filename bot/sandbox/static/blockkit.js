/*
 * blockkit.js - a small, dependency-free renderer for Slack Block Kit JSON and
 * Slack "mrkdwn" text.
 *
 * Public API (no network access, no globals other than window.BlockKit):
 *   BlockKit.renderBlocks(blocks, opts) -> HTMLElement
 *   BlockKit.renderMrkdwn(text, opts)   -> DocumentFragment
 *
 * opts:
 *   users    : {"U123": "display name"}   used for <@U123> mentions
 *   channels : {"C123": "general"}        used for <#C123> without a label
 *   onAction : function ({action_id, block_id, value, url}, buttonElement)
 *
 * SECURITY: every piece of message content ends up in the DOM through
 * document.createElement / createTextNode / textContent / setAttribute only.
 * Nothing here ever parses HTML. Only http(s)/mailto links become <a href>,
 * and only http(s) URLs are used as image sources.
 */
(function (global) {
  'use strict';

  var doc = global.document;

  // ---------------------------------------------------------------- helpers

  var EMOJI = {
    wave: '\u{1F44B}',
    tada: '\u{1F389}',
    white_check_mark: '\u2705',
    heavy_check_mark: '\u2714\uFE0F',
    x: '\u274C',
    thumbsup: '\u{1F44D}',
    '+1': '\u{1F44D}',
    thumbsdown: '\u{1F44E}',
    '-1': '\u{1F44E}',
    bulb: '\u{1F4A1}',
    arrows_counterclockwise: '\u{1F504}',
    rocket: '\u{1F680}',
    mag: '\u{1F50D}',
    warning: '\u26A0\uFE0F',
    sob: '\u{1F62D}',
    chart_with_upwards_trend: '\u{1F4C8}',
    chart_with_downwards_trend: '\u{1F4C9}',
    bar_chart: '\u{1F4CA}',
    smile: '\u{1F604}',
    slightly_smiling_face: '\u{1F642}',
    eyes: '\u{1F440}',
    fire: '\u{1F525}',
    star: '\u2B50',
    sparkles: '\u2728',
    point_right: '\u{1F449}',
    memo: '\u{1F4DD}',
    dart: '\u{1F3AF}',
    moneybag: '\u{1F4B0}',
    shopping_cart: '\u{1F6D2}',
    email: '\u{1F4E7}',
    bell: '\u{1F514}',
    information_source: '\u2139\uFE0F',
    question: '\u2753',
    thinking_face: '\u{1F914}',
    heart: '\u2764\uFE0F',
    robot_face: '\u{1F916}',
    speech_balloon: '\u{1F4AC}'
  };

  var LINK_SCHEMES = ['http:', 'https:', 'mailto:'];
  var IMAGE_SCHEMES = ['http:', 'https:'];

  function el(tag, className, text) {
    var node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isObj(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  function str(v) {
    if (v === null || v === undefined) return '';
    return typeof v === 'string' ? v : String(v);
  }

  /** Returns a normalised URL if its scheme is allowed, otherwise null. */
  function safeUrl(raw, schemes) {
    if (typeof raw !== 'string' || !raw) return null;
    var parsed;
    try {
      parsed = new URL(raw);
    } catch (e) {
      return null;
    }
    if ((schemes || LINK_SCHEMES).indexOf(parsed.protocol) === -1) return null;
    // The browser parses the original string exactly like URL() did, so it
    // can be used as-is (keeps what the author wrote, e.g. no added "/").
    return raw;
  }

  /** Slack only escapes these three characters. */
  function decodeEntities(s) {
    return str(s).replace(/&(amp|lt|gt);/g, function (m, name) {
      return name === 'amp' ? '&' : name === 'lt' ? '<' : '>';
    });
  }

  function replaceEmoji(s) {
    return s.replace(/:([a-z0-9_+\-]+):/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : m;
    });
  }

  function lookup(map, key) {
    if (!map || typeof key !== 'string') return undefined;
    if (typeof map.get === 'function') return map.get(key);
    if (Object.prototype.hasOwnProperty.call(map, key)) return map[key];
    return undefined;
  }

  function makeLink(href, label) {
    var a = el('a', 'bk-link', label);
    a.setAttribute('href', href);
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
    return a;
  }

  /**
   * Appends decoded, emoji-mapped text to parent, auto-linking bare URLs unless
   * opts.verbatim (a text object with `verbatim: true`: Slack leaves its plain
   * text alone, https://docs.slack.dev/reference/block-kit/composition-objects/text-object).
   */
  function appendPlain(parent, raw, opts) {
    var text = replaceEmoji(decodeEntities(raw));
    if (opts && opts.verbatim) {
      parent.appendChild(doc.createTextNode(text));
      return;
    }
    var re = /https?:\/\/[^\s<>"'`]+/g;
    var last = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      var url = m[0].replace(/[.,;:!?)\]}]+$/, '');
      var start = m.index;
      // Only autolink at a word boundary.
      if (start > 0 && /[\w]/.test(text.charAt(start - 1))) continue;
      var href = safeUrl(url, IMAGE_SCHEMES);
      if (!href) continue;
      if (start > last) parent.appendChild(doc.createTextNode(text.slice(last, start)));
      parent.appendChild(makeLink(href, url));
      last = start + url.length;
      re.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(doc.createTextNode(text.slice(last)));
  }

  // ------------------------------------------------------------ mrkdwn parse

  // Private-use characters mark placeholders for already-tokenised pieces
  // (code spans and <...> sequences). They are stripped from input first.
  var PH_OPEN = '\uE000';
  var PH_CLOSE = '\uE001';
  var PH_RE = /\uE000(\d+)\uE001/g;

  /** Renders one <...> sequence (without the brackets). */
  function renderAngle(inner, raw, opts) {
    var bar = inner.indexOf('|');
    var target = bar === -1 ? inner : inner.slice(0, bar);
    var label = bar === -1 ? '' : inner.slice(bar + 1);
    var first = target.charAt(0);

    if (first === '@') {
      var uid = target.slice(1);
      var name = lookup(opts.users, uid);
      if (name === undefined || name === null || name === '') {
        name = label ? decodeEntities(label).replace(/^@/, '') : uid;
      }
      var u = el('span', 'bk-mention bk-user-mention', '@' + str(name));
      u.setAttribute('data-mention-id', uid);
      return u;
    }
    if (first === '#') {
      var cid = target.slice(1);
      var cname = label ? decodeEntities(label) : lookup(opts.channels, cid);
      if (cname === undefined || cname === null || cname === '') cname = cid;
      var c = el('span', 'bk-mention bk-channel-mention', '#' + str(cname).replace(/^#/, ''));
      c.setAttribute('data-mention-id', cid);
      return c;
    }
    if (first === '!') {
      var cmd = target.slice(1);
      var caret = cmd.indexOf('^');
      var kind = caret === -1 ? cmd : cmd.slice(0, caret);
      if (kind === 'here' || kind === 'channel' || kind === 'everyone') {
        return el('span', 'bk-mention bk-broadcast', '@' + kind);
      }
      if (kind === 'subteam') {
        var team = label ? decodeEntities(label) : '@' + cmd.slice(caret + 1);
        if (team.charAt(0) !== '@') team = '@' + team;
        return el('span', 'bk-mention bk-usergroup', team);
      }
      if (kind === 'date') {
        var fallback = label ? decodeEntities(label) : '';
        return doc.createTextNode(fallback);
      }
      if (label) return doc.createTextNode(decodeEntities(label));
      return doc.createTextNode(decodeEntities(raw));
    }
    var href = safeUrl(decodeEntities(target), LINK_SCHEMES);
    if (href) {
      var shown = label ? decodeEntities(label) : decodeEntities(target);
      if (!shown) shown = decodeEntities(target);
      return makeLink(href, shown);
    }
    // Anything else (e.g. "<script>", "<javascript:...|x>") is shown verbatim.
    return doc.createTextNode(decodeEntities(raw));
  }

  function isWordChar(c) {
    return !!c && /[0-9A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF]/.test(c);
  }

  function isSpace(c) {
    return /\s/.test(c);
  }

  var FORMAT_TAGS = { '*': 'b', '_': 'i', '~': 's' };
  var FORMAT_CLASSES = { '*': 'bk-bold', '_': 'bk-italic', '~': 'bk-strike' };

  /**
   * Parses *bold*, _italic_ and ~strike~ in a line that already has its code
   * spans and <...> sequences replaced by placeholders. Appends to parent.
   */
  function appendFormatted(parent, s, pieces, opts, depth) {
    // Positions that may close a span do not depend on the opener, so they
    // are computed once; this keeps parsing linear for hostile input.
    var closes = { '*': [], '_': [], '~': [] };
    var ptr = { '*': 0, '_': 0, '~': 0 };
    for (var k = 1; k < s.length; k++) {
      var kc = s.charAt(k);
      if (closes[kc] && !isSpace(s.charAt(k - 1)) && !isWordChar(s.charAt(k + 1))) closes[kc].push(k);
    }
    var i = 0;
    var textStart = 0;
    while (i < s.length) {
      var ch = s.charAt(i);
      if (FORMAT_TAGS[ch] && depth < 8) {
        var prev = i > 0 ? s.charAt(i - 1) : '';
        var next = s.charAt(i + 1);
        var canOpen = !isWordChar(prev) && prev !== ch && next && !isSpace(next) && next !== ch;
        if (canOpen) {
          var list = closes[ch];
          while (ptr[ch] < list.length && list[ptr[ch]] < i + 2) ptr[ch]++;
          var close = ptr[ch] < list.length ? list[ptr[ch]] : -1;
          if (close !== -1) {
            appendLeaf(parent, s.slice(textStart, i), pieces, opts);
            var wrap = el(FORMAT_TAGS[ch], FORMAT_CLASSES[ch]);
            appendFormatted(wrap, s.slice(i + 1, close), pieces, opts, depth + 1);
            parent.appendChild(wrap);
            i = close + 1;
            textStart = i;
            continue;
          }
        }
      }
      i++;
    }
    appendLeaf(parent, s.slice(textStart), pieces, opts);
  }

  /** Appends text that may contain placeholders. */
  function appendLeaf(parent, s, pieces, opts) {
    if (!s) return;
    var last = 0;
    var m;
    var re = new RegExp(PH_RE.source, 'g');
    while ((m = re.exec(s)) !== null) {
      if (m.index > last) appendPlain(parent, s.slice(last, m.index), opts);
      var piece = pieces[Number(m[1])];
      if (piece) parent.appendChild(piece());
      last = m.index + m[0].length;
    }
    if (last < s.length) appendPlain(parent, s.slice(last), opts);
  }

  /** Renders one line of mrkdwn (no newlines, no ``` fences) into parent. */
  function appendInline(parent, line, opts) {
    var pieces = [];
    function hold(factory) {
      pieces.push(factory);
      return PH_OPEN + (pieces.length - 1) + PH_CLOSE;
    }
    // 1. inline code: contents are literal.
    var s = line.replace(/`([^`]+)`/g, function (m, code) {
      return hold(function () {
        return el('code', 'bk-code', decodeEntities(code));
      });
    });
    // 2. <...> control sequences (links, mentions). Raw "<" is never HTML.
    s = s.replace(/<([^<>]*)>/g, function (m, inner) {
      return hold(function () {
        return renderAngle(inner, m, opts);
      });
    });
    // 3. bold / italic / strike.
    appendFormatted(parent, s, pieces, opts, 0);
  }

  function quoteMarker(line) {
    var m = /^(?:&gt;|>)(?!(?:&gt;|>){2}) ?/.exec(line);
    return m ? m[0].length : -1;
  }

  function multiQuoteMarker(line) {
    var m = /^(?:&gt;|>){3} ?/.exec(line);
    return m ? m[0].length : -1;
  }

  /** Renders a run of text (no ``` fences) into parent. */
  function appendTextSegment(parent, text, opts) {
    var lines = text.split('\n');
    var needBreak = false;
    var quote = null;
    var quoteNeedsBreak = false;
    var quoteRest = false;

    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      var contentStart = -1;
      if (quoteRest) {
        contentStart = 0;
      } else {
        var multi = multiQuoteMarker(line);
        if (multi !== -1) {
          quoteRest = true;
          contentStart = multi;
        } else {
          contentStart = quoteMarker(line);
        }
      }

      if (contentStart !== -1) {
        if (!quote) {
          quote = el('blockquote', 'bk-quote');
          parent.appendChild(quote);
          quoteNeedsBreak = false;
        }
        if (quoteNeedsBreak) quote.appendChild(el('br'));
        appendInline(quote, line.slice(contentStart), opts);
        quoteNeedsBreak = true;
        needBreak = false;
        continue;
      }

      if (quote) {
        quote = null;
        needBreak = false;
      }
      if (needBreak) parent.appendChild(el('br'));
      if (/^(?:\u2022|-|\u25E6|\u25AA) /.test(line)) {
        var item = el('span', 'bk-list-line');
        appendInline(item, line, opts);
        parent.appendChild(item);
      } else {
        appendInline(parent, line, opts);
      }
      needBreak = true;
    }
  }

  /**
   * Renders Slack mrkdwn into a DocumentFragment.
   */
  function renderMrkdwn(text, opts) {
    opts = opts || {};
    var frag = doc.createDocumentFragment();
    var source = str(text).replace(/\r\n?/g, '\n').replace(/[\uE000\uE001]/g, '\uFFFD');
    var parts = source.split('```');
    if (parts.length % 2 === 0) {
      // Unbalanced fence: the last one is literal text.
      var tail = parts.pop();
      parts[parts.length - 1] += '```' + tail;
    }
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i];
      if (i % 2 === 1) {
        var code = part.replace(/^\n/, '').replace(/\n$/, '');
        frag.appendChild(el('pre', 'bk-pre', decodeEntities(code)));
      } else {
        if (i > 0) part = part.replace(/^\n/, '');
        if (i < parts.length - 1) part = part.replace(/\n$/, '');
        if (part) appendTextSegment(frag, part, opts);
      }
    }
    return frag;
  }

  // ----------------------------------------------------------- block objects

  function unsupported(kind, type) {
    var label = '[unsupported ' + kind + ': ' + (typeof type === 'string' && type ? type : 'unknown') + ']';
    var node = el('div', 'bk-unsupported', label);
    return node;
  }

  function verbatimOpts(opts) {
    var copy = {};
    for (var key in opts || {}) {
      if (Object.prototype.hasOwnProperty.call(opts, key)) copy[key] = opts[key];
    }
    copy.verbatim = true;
    return copy;
  }

  /** Renders a text object (plain_text / mrkdwn) into a new element. */
  function renderTextObject(obj, opts, tag, className) {
    var node = el(tag || 'span', className || null);
    if (typeof obj === 'string') {
      node.appendChild(renderMrkdwn(obj, opts));
      node.classList.add('bk-mrkdwn');
      return node;
    }
    if (!isObj(obj)) return node;
    if (obj.type === 'mrkdwn') {
      node.classList.add('bk-mrkdwn');
      node.appendChild(renderMrkdwn(obj.text, obj.verbatim === true ? verbatimOpts(opts) : opts));
    } else {
      node.classList.add('bk-plain');
      var t = str(obj.text);
      node.textContent = obj.emoji === false ? t : replaceEmoji(t);
    }
    return node;
  }

  function plainText(obj) {
    if (typeof obj === 'string') return obj;
    if (!isObj(obj)) return '';
    var t = str(obj.text);
    if (obj.type === 'mrkdwn') return decodeEntities(t);
    return obj.emoji === false ? t : replaceEmoji(t);
  }

  function renderImageElement(obj, className) {
    var src = safeUrl(obj.image_url, IMAGE_SCHEMES);
    var alt = str(obj.alt_text);
    if (!src) {
      return el('span', 'bk-image-missing', alt ? '[image: ' + alt + ']' : '[image]');
    }
    var img = el('img', className || null);
    img.setAttribute('src', src);
    img.setAttribute('alt', alt);
    img.setAttribute('loading', 'lazy');
    img.setAttribute('referrerpolicy', 'no-referrer');
    if (alt) img.setAttribute('title', alt);
    return img;
  }

  function renderButton(btn, blockId, opts) {
    var button = el('button', 'bk-button');
    button.type = 'button';
    if (btn.style === 'primary') button.classList.add('bk-primary');
    else if (btn.style === 'danger') button.classList.add('bk-danger');

    var actionId = typeof btn.action_id === 'string' ? btn.action_id : null;
    var value = btn.value === undefined || btn.value === null ? null : str(btn.value);
    var url = safeUrl(btn.url, IMAGE_SCHEMES);

    button.setAttribute('data-action-id', actionId === null ? '' : actionId);
    button.setAttribute('data-block-id', blockId === null ? '' : blockId);
    button.setAttribute('data-value', value === null ? '' : value);

    var label = el('span', 'bk-button-label', plainText(btn.text));
    button.appendChild(label);
    if (url) {
      button.classList.add('bk-link-button');
      button.setAttribute('data-url', url);
      button.title = url;
    }
    if (btn.accessibility_label) button.setAttribute('aria-label', str(btn.accessibility_label));

    button.addEventListener('click', function (ev) {
      ev.preventDefault();
      if (isObj(btn.confirm) && typeof global.confirm === 'function') {
        var q = [plainText(btn.confirm.title), plainText(btn.confirm.text)].filter(Boolean).join('\n\n');
        if (!global.confirm(q || 'Are you sure?')) return;
      }
      if (typeof opts.onAction === 'function') {
        opts.onAction(
          { action_id: actionId, block_id: blockId, value: value, url: url },
          button
        );
      }
    });
    return button;
  }

  // Checkboxes keep their ticks in the page; a button click in the same message sends them
  // along as Slack's state.values (see stateOf).
  function renderCheckboxes(obj, blockId, opts) {
    var group = el('div', 'bk-checkboxes');
    group.setAttribute('role', 'group');
    var actionId = typeof obj.action_id === 'string' ? obj.action_id : '';
    group.setAttribute('data-action-id', actionId);
    group.setAttribute('data-block-id', blockId === null ? '' : blockId);
    (Array.isArray(obj.options) ? obj.options : []).forEach(function (option) {
      if (!isObj(option)) return;
      var label = el('label', 'bk-checkbox');
      var input = el('input');
      input.type = 'checkbox';
      input.value = str(option.value);
      input.setAttribute('data-label', plainText(option.text));
      label.appendChild(input);
      label.appendChild(el('span', 'bk-checkbox-text', plainText(option.text)));
      group.appendChild(label);
    });
    return group;
  }

  // A menu: a static_select's options, or a conversations_select's channels. Choosing sends
  // the action at once, as Slack does, with what was chosen.
  function renderSelect(obj, blockId, opts) {
    var select = el('select', 'bk-select');
    var actionId = typeof obj.action_id === 'string' ? obj.action_id : '';
    select.setAttribute('data-action-id', actionId);
    var placeholder = el('option', null, plainText(obj.placeholder) || 'Select an item');
    placeholder.value = '';
    placeholder.disabled = true;
    placeholder.selected = true;
    select.appendChild(placeholder);
    var choices = [];
    if (obj.type === 'static_select') {
      (Array.isArray(obj.options) ? obj.options : []).forEach(function (o) {
        if (isObj(o)) choices.push({ value: str(o.value), text: plainText(o.text) });
      });
    } else {
      var channels = isObj(opts.channels) ? opts.channels : {};
      Object.keys(channels).forEach(function (id) {
        if (id.charAt(0) !== 'D') choices.push({ value: id, text: '#' + channels[id] });
      });
    }
    choices.forEach(function (c) {
      var option = el('option', null, c.text);
      option.value = c.value;
      select.appendChild(option);
    });
    if (obj.accessibility_label || obj.placeholder) {
      select.setAttribute('aria-label', str(obj.accessibility_label || plainText(obj.placeholder)));
    }
    select.addEventListener('change', function () {
      var chosen = choices[select.selectedIndex - 1];
      if (!chosen || typeof opts.onAction !== 'function') return;
      var action = { action_id: actionId, block_id: blockId, type: obj.type, value: null, url: null };
      if (obj.type === 'static_select') action.selected_option = { value: chosen.value, text: chosen.text };
      else action.selected_conversation = chosen.value;
      opts.onAction(action, select);
    });
    return select;
  }

  function stateOf(container) {
    var values = {};
    Array.prototype.forEach.call(container.querySelectorAll('.bk-checkboxes'), function (group) {
      var blockId = group.getAttribute('data-block-id') || '';
      var actionId = group.getAttribute('data-action-id') || '';
      var selected = [];
      Array.prototype.forEach.call(group.querySelectorAll('input:checked'), function (input) {
        selected.push({ text: { type: 'plain_text', text: input.getAttribute('data-label') || '' }, value: input.value });
      });
      values[blockId] = values[blockId] || {};
      values[blockId][actionId] = { type: 'checkboxes', selected_options: selected };
    });
    return { values: values };
  }

  function renderElement(obj, blockId, opts, where) {
    if (!isObj(obj)) return unsupported('element', null);
    switch (obj.type) {
      case 'button':
        return renderButton(obj, blockId, opts);
      case 'checkboxes':
        return renderCheckboxes(obj, blockId, opts);
      case 'static_select':
      case 'conversations_select':
        return renderSelect(obj, blockId, opts);
      case 'image':
        return renderImageElement(obj, where === 'accessory' ? 'bk-accessory-image' : 'bk-element-image');
      default:
        return unsupported('element', obj.type);
    }
  }

  // ------------------------------------------------------------------ blocks

  function blockIdOf(block) {
    return typeof block.block_id === 'string' ? block.block_id : null;
  }

  function renderHeader(block) {
    var node = el('div', 'bk-header');
    node.setAttribute('role', 'heading');
    node.setAttribute('aria-level', '3');
    node.textContent = plainText(block.text);
    return node;
  }

  function renderSection(block, opts) {
    var node = el('div', 'bk-section');
    var body = el('div', 'bk-section-body');
    node.appendChild(body);
    if (block.text) body.appendChild(renderTextObject(block.text, opts, 'div', 'bk-section-text'));
    if (Array.isArray(block.fields) && block.fields.length) {
      var fields = el('div', 'bk-fields');
      block.fields.forEach(function (f) {
        fields.appendChild(renderTextObject(f, opts, 'div', 'bk-field'));
      });
      body.appendChild(fields);
    }
    if (isObj(block.accessory)) {
      var acc = el('div', 'bk-accessory');
      acc.appendChild(renderElement(block.accessory, blockIdOf(block), opts, 'accessory'));
      node.appendChild(acc);
    }
    return node;
  }

  function renderContext(block, opts) {
    var node = el('div', 'bk-context');
    (Array.isArray(block.elements) ? block.elements : []).forEach(function (e) {
      if (!isObj(e)) return;
      if (e.type === 'image') {
        node.appendChild(renderImageElement(e, 'bk-context-image'));
      } else if (e.type === 'mrkdwn' || e.type === 'plain_text') {
        node.appendChild(renderTextObject(e, opts, 'span', 'bk-context-text'));
      } else {
        node.appendChild(unsupported('element', e.type));
      }
    });
    return node;
  }

  function renderImageBlock(block, opts) {
    var node = el('div', 'bk-image');
    if (block.title) node.appendChild(renderTextObject(block.title, opts, 'div', 'bk-image-title'));
    node.appendChild(renderImageElement(block, 'bk-image-img'));
    return node;
  }

  function renderActions(block, opts) {
    var node = el('div', 'bk-actions');
    var bid = blockIdOf(block);
    (Array.isArray(block.elements) ? block.elements : []).forEach(function (e) {
      node.appendChild(renderElement(e, bid, opts, 'actions'));
    });
    return node;
  }

  // ----- rich_text (optional, best effort)

  function richInline(parent, elements, opts) {
    (Array.isArray(elements) ? elements : []).forEach(function (e) {
      if (!isObj(e)) return;
      var node;
      switch (e.type) {
        case 'text':
          node = doc.createTextNode(str(e.text));
          break;
        case 'link': {
          var href = safeUrl(e.url, LINK_SCHEMES);
          var label = str(e.text) || str(e.url);
          node = href ? makeLink(href, label) : doc.createTextNode(label);
          break;
        }
        case 'user': {
          var name = lookup(opts.users, e.user_id);
          node = el('span', 'bk-mention bk-user-mention', '@' + str(name || e.user_id));
          break;
        }
        case 'channel': {
          var cname = lookup(opts.channels, e.channel_id);
          node = el('span', 'bk-mention bk-channel-mention', '#' + str(cname || e.channel_id));
          break;
        }
        case 'usergroup':
          node = el('span', 'bk-mention bk-usergroup', '@' + str(e.usergroup_id));
          break;
        case 'broadcast':
          node = el('span', 'bk-mention bk-broadcast', '@' + str(e.range));
          break;
        case 'emoji': {
          var nm = str(e.name);
          node = doc.createTextNode(Object.prototype.hasOwnProperty.call(EMOJI, nm) ? EMOJI[nm] : ':' + nm + ':');
          break;
        }
        case 'date':
          node = doc.createTextNode(str(e.fallback));
          break;
        default:
          node = doc.createTextNode('');
      }
      var style = isObj(e.style) ? e.style : null;
      if (style) {
        if (style.code) { var c = el('code', 'bk-code'); c.appendChild(node); node = c; }
        if (style.strike) { var s = el('s', 'bk-strike'); s.appendChild(node); node = s; }
        if (style.italic) { var it = el('i', 'bk-italic'); it.appendChild(node); node = it; }
        if (style.bold) { var b = el('b', 'bk-bold'); b.appendChild(node); node = b; }
      }
      parent.appendChild(node);
    });
  }

  function renderRichText(block, opts) {
    var node = el('div', 'bk-rich-text');
    (Array.isArray(block.elements) ? block.elements : []).forEach(function (sec) {
      if (!isObj(sec)) return;
      if (sec.type === 'rich_text_section') {
        var d = el('div', 'bk-rich-section');
        richInline(d, sec.elements, opts);
        node.appendChild(d);
      } else if (sec.type === 'rich_text_preformatted') {
        var p = el('pre', 'bk-pre');
        richInline(p, sec.elements, opts);
        node.appendChild(p);
      } else if (sec.type === 'rich_text_quote') {
        var q = el('blockquote', 'bk-quote');
        richInline(q, sec.elements, opts);
        node.appendChild(q);
      } else if (sec.type === 'rich_text_list') {
        var list = el(sec.style === 'ordered' ? 'ol' : 'ul', 'bk-rich-list');
        (Array.isArray(sec.elements) ? sec.elements : []).forEach(function (item) {
          var li = el('li');
          if (isObj(item)) richInline(li, item.elements, opts);
          list.appendChild(li);
        });
        node.appendChild(list);
      } else {
        node.appendChild(unsupported('element', sec.type));
      }
    });
    return node;
  }

  var RENDERERS = {
    header: renderHeader,
    section: renderSection,
    divider: function () {
      var hr = el('hr', 'bk-divider');
      return hr;
    },
    context: renderContext,
    image: renderImageBlock,
    actions: renderActions,
    rich_text: renderRichText
  };

  function renderBlock(block, opts) {
    if (!isObj(block)) return unsupported('block', null);
    var fn = Object.prototype.hasOwnProperty.call(RENDERERS, block.type) ? RENDERERS[block.type] : null;
    if (!fn) return unsupported('block', block.type);
    var node;
    try {
      node = fn(block, opts);
    } catch (e) {
      node = unsupported('block', block.type);
    }
    node.classList.add('bk-block');
    return node;
  }

  /**
   * Renders an array of Block Kit blocks into a container element.
   */
  function renderBlocks(blocks, opts) {
    opts = opts || {};
    var root = el('div', 'bk-blocks');
    (Array.isArray(blocks) ? blocks : []).forEach(function (b) {
      root.appendChild(renderBlock(b, opts));
    });
    return root;
  }

  global.BlockKit = Object.freeze({
    renderBlocks: renderBlocks,
    renderMrkdwn: renderMrkdwn,
    stateOf: stateOf,
    safeUrl: safeUrl,
    emoji: Object.freeze(Object.assign({}, EMOJI))
  });
})(window);

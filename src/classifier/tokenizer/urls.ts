/**
 * URL and domain tokens. A link's host names where the click goes, which a
 * spammer cannot hide; its parent domains generalise across the throw-away
 * sub-domains spam uses. Path words help less and are capped.
 */

const MAX_PATH_TOKENS = 8;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Tokens of one URL (href value or a URL written in text). */
export function urlTokens(raw: string, out: Set<string>): void {
  // A URL can run over a line end (a wrapped HTML attribute); CRLF is read as
  // LF so that its tokens are the same from a file and over IMAP.
  let url = raw.trim().replaceAll('\r\n', '\n');
  const scheme = /^([a-z][a-z0-9+.-]{0,15}):/i.exec(url);
  if (scheme !== null) {
    const name = scheme[1]!.toLowerCase();
    out.add(`url:scheme:${name}`);
    if (name === 'mailto') {
      const at = url.lastIndexOf('@');
      if (at > 0) addDomainTokens('url:mailto:', url.slice(at + 1).replace(/[?>].*$/, ''), out);
      return;
    }
    url = url.slice(scheme[0].length);
  } else if (!/^www\./i.test(url)) {
    return; // a relative link or an anchor says nothing useful
  }
  url = url.replace(/^\/+/, '');
  const slash = url.search(/[/?#]/);
  let host = slash < 0 ? url : url.slice(0, slash);
  const path = slash < 0 ? '' : url.slice(slash);
  if (host.includes('@')) {
    out.add('url:userinfo'); // "http://www.bank.com@evil.example/": a classic disguise
    host = host.slice(host.lastIndexOf('@') + 1);
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    out.add('url:port');
    host = host.slice(0, colon);
  }
  host = host.replace(/[^a-z0-9.\-]/gi, '');
  if (host === '') return;
  if (IPV4.test(host)) out.add('url:ip');
  else addDomainTokens('url:', host, out);
  if (path.includes('%')) out.add('url:escaped');
  let n = 0;
  for (const piece of path.split(/[/?#&=._\-+%]+/)) {
    if (piece.length < 3 || piece.length > 20) continue;
    if (n >= MAX_PATH_TOKENS) break;
    out.add(`url:path:${piece.toLowerCase()}`);
    n++;
  }
}

/** "a.b.example.com" gives the host and every parent domain: example.com, com. */
export function addDomainTokens(prefix: string, host: string, out: Set<string>): void {
  let h = host.toLowerCase().replace(/\.$/, '');
  if (h === '' || h.length > 100) return;
  out.add(prefix + h);
  for (let dot = h.indexOf('.'); dot >= 0; dot = h.indexOf('.')) {
    h = h.slice(dot + 1);
    if (h === '') break;
    out.add(prefix + h);
  }
}

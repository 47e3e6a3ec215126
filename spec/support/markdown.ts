import { posix } from 'node:path';

/** A ```ts or ```js block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the root its links resolve from (`docs/client.md`). */
  file: string;
  /** The 1-based line of the block's first line of code. */
  line: number;
  lang: 'ts' | 'js';
  code: string;
  /** What a `<!-- run: ... -->` comment right before the fence says (`serve /events`). */
  run?: string;
}

/** What a Markdown file holds for the checker: its code blocks, and what it could not read. */
export interface Scan {
  blocks: CodeBlock[];
  /** `file:line: message`, for fences and run comments the checker would otherwise skip. */
  problems: string[];
}

const opener = /^( *)(`{3,}|~{3,})\s*([^`]*?)\s*$/;
const runComment = /^<!--\s*run:\s*(.*?)\s*-->$/;
/** Info strings of code a reader would expect to be checked, but that only ```ts and ```js are. */
const nearMiss = /^(ts|js|typescript|javascript|mjs|cjs|mts|cts|tsx|jsx)\b/i;

/**
 * The ```ts and ```js blocks of a Markdown file (fence lines exactly ```ts or ```js, closed by
 * ```), with the line each starts at and the `<!-- run: ... -->` comment right before it (blank
 * lines between are allowed: Prettier writes one). Other fences (```sh, ````md) are stepped over whole, so a ```ts line inside them is not a block.
 */
export function scanMarkdown(file: string, markdown: string): Scan {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  const problems: string[] = [];
  const at = (index: number, message: string) => {
    problems.push(`${file}:${String(index + 1)}: ${message}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = opener.exec(line);
    if (open === null) {
      if (/^\s*<!--\s*run\b/.test(line) && !runComment.test(line)) {
        at(i, `"${line.trim()}" is not a run comment: write <!-- run: serve /path -->`);
      }
      continue;
    }
    const [, indent = '', fence = '', info = ''] = open;
    const close = new RegExp(`^ *${fence[0] === '`' ? '`' : '~'}{${String(fence.length)},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end] ?? '')) end++;
    if (end === lines.length) {
      at(i, `the ${fence}${info} fence is never closed`);
      break;
    }
    // Prettier puts a blank line between an HTML comment and the fence after it.
    let previous = i - 1;
    while (previous >= 0 && (lines[previous] ?? '').trim() === '') previous--;
    const before = runComment.exec((lines[previous] ?? '').trim());
    const lang = info === 'ts' || info === 'js' ? info : undefined;
    if (fence === '```' && indent === '' && lang !== undefined) {
      const block: CodeBlock = {
        file,
        line: i + 2,
        lang,
        code: lines.slice(i + 1, end).join('\n'),
      };
      if (before?.[1] !== undefined) block.run = before[1];
      blocks.push(block);
    } else if (nearMiss.test(info)) {
      at(
        i,
        `a ${indent}${fence}${info} fence is not checked: code blocks must be \`\`\`ts or \`\`\`js at the start of the line`,
      );
    } else if (before !== null) {
      at(
        previous,
        `a run comment must be right before a \`\`\`ts or \`\`\`js fence, not ${fence}${info}`,
      );
    }
    i = end;
  }
  for (const [index, line] of lines.entries()) {
    if (!runComment.test(line.trim())) continue;
    const next = lines.slice(index + 1).find((text) => text.trim() !== '') ?? '';
    if (!opener.test(next)) at(index, 'a run comment must come right before its fence');
  }
  return { blocks, problems };
}

/** What a run comment asks of its program. */
export type Run =
  { kind: 'serve'; path: string } | { kind: 'exit' } | { kind: 'mocha' } | { kind: 'node-test' };

/**
 * Reads a block's run comment: `serve /path`, `exit`, `mocha` or `node-test`.
 *
 * @throws Error naming the block's `file:line` for anything else.
 */
export function parseRun(block: CodeBlock): Run {
  const [kind, ...rest] = (block.run ?? '').split(/\s+/);
  const [path] = rest;
  if (kind === 'serve' && rest.length === 1 && path?.startsWith('/')) return { kind, path };
  if ((kind === 'exit' || kind === 'mocha' || kind === 'node-test') && rest.length === 0) {
    return { kind };
  }
  throw new Error(
    `${block.file}:${String(block.line)}: "run: ${block.run ?? ''}" is no run kind: write serve /path, exit, mocha or node-test`,
  );
}

/** A link of a Markdown file: where it points and the line it is on. */
export interface Link {
  line: number;
  target: string;
}

/**
 * The links of a Markdown file outside code: inline links and images, reference definitions, and
 * the `href`/`src` of HTML `<a>` and `<img>` tags.
 */
export function markdownLinks(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { index, text } of prose(markdown)) {
    const line = text.replace(/(`+).*?\1/g, '');
    const found = [
      ...[...line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
      ...[...line.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/g)].map((m) => m[1]),
      ...[...line.matchAll(/<(?:a|img)\b[^>]*?\s(?:href|src)="([^"]*)"/g)].map((m) => m[1]),
    ];
    for (const target of found) links.push({ line: index + 1, target: target ?? '' });
  }
  return links;
}

/**
 * The anchors of a Markdown file's headings, as GitHub makes them: the heading's text lowercased,
 * punctuation but `-` and `_` dropped, spaces as `-`, and `-1`, `-2` after a repeated one. Also
 * the `id`/`name` of HTML `<a>` tags.
 */
export function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of prose(markdown)) {
    for (const [, id] of text.matchAll(/<a\s[^>]*?(?:id|name)="([^"]+)"/g)) slugs.add(id ?? '');
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text);
    if (heading === null) continue;
    const base = (heading[1] ?? '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${String(count)}`);
  }
  return slugs;
}

/** The files a link may point at, seen from the package a user installs. */
export interface LinkTargets {
  /** Whether a path (relative to the package's root) is a file users get. */
  shipped(path: string): boolean;
  /** Whether a path exists in the repository, to tell "not shipped" from "missing". */
  exists(path: string): boolean;
  /** The text of a shipped Markdown file, for its headings. */
  read(path: string): string;
}

/**
 * `file:line: message` for each relative link of a Markdown file that does not point at a shipped
 * file (or at a heading of it, for `#anchor`). Links with a scheme (`https:`, `mailto:`) are not
 * checked.
 */
export function linkProblems(file: string, markdown: string, targets: LinkTargets): string[] {
  const problems: string[] = [];
  for (const { line, target } of markdownLinks(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) continue;
    const at = `${file}:${String(line)}: ${target}`;
    const hash = target.indexOf('#');
    const pathPart = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const path =
      pathPart === ''
        ? file
        : posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(pathPart)));
    if (target === '') {
      problems.push(`${at}: a link with no target`);
    } else if (path.startsWith('../') || path.startsWith('/')) {
      problems.push(`${at}: points outside the package`);
    } else if (!targets.shipped(path)) {
      problems.push(
        targets.exists(path)
          ? `${at}: ${path} is not shipped in the package; name it as code (\`${path}\` in the repository) instead of linking it`
          : `${at}: ${path} does not exist`,
      );
    } else if (anchor !== undefined && path.endsWith('.md')) {
      if (!headingSlugs(targets.read(path)).has(anchor)) {
        problems.push(`${at}: ${path} has no heading with the anchor #${anchor}`);
      }
    }
  }
  return problems;
}

/** The lines of a Markdown file that are not inside a fenced code block, with their index. */
function* prose(markdown: string): Generator<{ index: number; text: string }> {
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const open = opener.exec(text);
    if (open === null) {
      yield { index: i, text };
      continue;
    }
    const fence = open[2] ?? '```';
    const close = new RegExp(`^ *${fence[0] === '`' ? '`' : '~'}{${String(fence.length)},}\\s*$`);
    while (i + 1 < lines.length && !close.test(lines[i + 1] ?? '')) i++;
    i++;
  }
}

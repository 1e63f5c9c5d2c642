/**
 * Reading an origin RegExp the way the engine reads it: parsed by `@eslint-community/regexpp` (the
 * ECMAScript grammar, flags included), never by scanning its source text, so that escapes, classes,
 * groups and the `u`/`v` syntax cannot make a check see something other than what runs.
 */
import type { AST } from '@eslint-community/regexpp';

type Regexpp = typeof import('@eslint-community/regexpp');
let regexpp: Regexpp | undefined;
/** Loaded when a RegExp is first read (as refa is, ./regexp-reach): a policy without one does not carry it. */
function parser(): Regexpp {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (regexpp ??= require('@eslint-community/regexpp') as Regexpp);
}

export type ParsedRegExp = { readonly ok: true; readonly ast: AST.RegExpLiteral } | { readonly ok: false; readonly message: string };

export function parseRegExp(regexp: RegExp): ParsedRegExp {
  try {
    return { ok: true, ast: parser().parseRegExpLiteral(regexp) };
  } catch (err) {
    return { ok: false, message: `${String(regexp)} cannot be parsed as an ECMAScript RegExp (${err instanceof Error ? err.message : String(err)})` };
  }
}

const isEdge = (element: AST.Element | undefined, kind: 'start' | 'end'): boolean => element?.type === 'Assertion' && element.kind === kind;

/**
 * Whether every top-level alternative starts with `^` and ends with `$`:
 * `^https://a\.com|evil` is not anchored, its second alternative matches anywhere. Unparseable → false.
 */
export function isAnchored(regexp: RegExp): boolean {
  const parsed = parseRegExp(regexp);
  return parsed.ok && parsed.ast.pattern.alternatives.every((alt) => isEdge(alt.elements[0], 'start') && isEdge(alt.elements[alt.elements.length - 1], 'end'));
}

/** Whether every top-level alternative starts with `^` (a path pattern may go on after its prefix). */
export function isStartAnchored(regexp: RegExp): boolean {
  const parsed = parseRegExp(regexp);
  return parsed.ok && parsed.ast.pattern.alternatives.every((alt) => isEdge(alt.elements[0], 'start'));
}

/** Whether the pattern has a capture group (a tenant pattern must capture the id). */
export function hasCaptureGroup(ast: AST.RegExpLiteral): boolean {
  let found = false;
  const visit = (node: AST.Node): void => {
    if (found) return;
    if (node.type === 'CapturingGroup') found = true;
    else if ('alternatives' in node) node.alternatives.forEach(visit);
    else if (node.type === 'Alternative') node.elements.forEach(visit);
    else if (node.type === 'Quantifier') visit(node.element);
  };
  visit(ast.pattern);
  return found;
}

/** Whether an unescaped `.` (any character) appears anywhere. */
export function hasAnyCharacter(ast: AST.RegExpLiteral): boolean {
  let found = false;
  const visit = (node: AST.Node): void => {
    if (found) return;
    if (node.type === 'CharacterSet' && node.kind === 'any') found = true;
    else if ('alternatives' in node) node.alternatives.forEach(visit);
    else if (node.type === 'Alternative') node.elements.forEach(visit);
    else if (node.type === 'Quantifier') visit(node.element);
  };
  visit(ast.pattern);
  return found;
}

/** Spellings of one piece of literal text; beyond this many, a piece counts as free text. */
const MAX_SPELLINGS = 64;

/**
 * The literal texts a pattern spells out: maximal runs of fixed characters, with small finite
 * alternations (`(app|admin)`, `(com|net)`, `(www\.)?`) expanded. `^https:\/\/(app|admin)\.example\.com(:\d+)?$`
 * spells `https://app.example.com` and `https://admin.example.com`; classes, `.` and open quantifiers
 * end a run, and optional parts are spelled present. These are the names its author wrote down, against which its reach is judged.
 */
export function literalTexts(ast: AST.RegExpLiteral): string[] {
  const texts = new Set<string>();
  const fold = ast.flags.ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  const collect = (alternatives: readonly AST.Alternative[]): void => {
    for (const alt of alternatives) {
      let run: string[] = [''];
      const flush = (): void => {
        for (const s of run) if (s !== '') texts.add(fold(s));
        run = [''];
      };
      for (const element of alt.elements) {
        const spellings = spellingsOf(element);
        if (spellings === undefined || spellings.length * run.length > MAX_SPELLINGS) {
          flush();
          descend(element, collect);
          continue;
        }
        run = run.flatMap((prefix) => spellings.map((s) => prefix + s));
      }
      flush();
    }
  };
  collect(ast.pattern.alternatives);
  return [...texts];
}

function descend(element: AST.Element, collect: (alternatives: readonly AST.Alternative[]) => void): void {
  if (element.type === 'Group' || element.type === 'CapturingGroup') collect(element.alternatives);
  else if (element.type === 'Quantifier') descend(element.element, collect);
}

/** Every string an element can match, if they are few; undefined for free text (classes, `.`, `+`). */
function spellingsOf(element: AST.Element): string[] | undefined {
  switch (element.type) {
    case 'Character':
      return [String.fromCodePoint(element.value)];
    case 'CharacterClass':
      // `[.]` is a common way to write a literal dot.
      if (!element.negate && element.elements.length === 1 && element.elements[0]!.type === 'Character') return [String.fromCodePoint(element.elements[0]!.value)];
      return undefined;
    case 'Group':
    case 'CapturingGroup':
      return spellingsOfAlternatives(element.alternatives);
    case 'Quantifier': {
      if (element.max === 0) return [''];
      if (element.max > 1) return undefined;
      // An optional part is spelled present: `(www\.)?example\.com` names example.com, while
      // `app(\.example)?\.com` names example.com only — app.com is a domain its author never wrote.
      return spellingsOf(element.element);
    }
    case 'Assertion':
      return undefined;
    default:
      return undefined;
  }
}

function spellingsOfAlternatives(alternatives: readonly AST.Alternative[]): string[] | undefined {
  const out: string[] = [];
  for (const alt of alternatives) {
    let run: string[] = [''];
    for (const element of alt.elements) {
      const spellings = spellingsOf(element);
      if (spellings === undefined || spellings.length * run.length > MAX_SPELLINGS) return undefined;
      run = run.flatMap((prefix) => spellings.map((s) => prefix + s));
    }
    out.push(...run);
    if (out.length > MAX_SPELLINGS) return undefined;
  }
  return out;
}

/**
 * Modules that do something when imported (patch a prototype, register a backend or a
 * derivative, run setup code) and whether the package's `sideEffects` field keeps them:
 * bundlers drop a module that the field calls pure when none of its exports are used, and
 * with it the effect.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface Effect {
  line: number;
  text: string;
}

/**
 * The top-level statements of a module that run for their effect: anything but declarations
 * (imports with bindings, exports, functions, classes, types, variables). A variable's
 * initializer (`const def = registerOp(…)`) is left out: it belongs to what the module
 * exports and goes with it; so is `globalThis[KEY] = state`, the module's own state shared
 * by every copy of it in a realm. A bare `import './x.js'` counts: it is there for x's effects.
 */
export function importTimeEffects(source: string, fileName = 'module.ts'): Effect[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const globalAliases = new Set(['globalThis']);
  const locals = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name)) continue;
      locals.add(d.name.text);
      if (d.initializer && isGlobalThis(d.initializer, globalAliases)) globalAliases.add(d.name.text);
    }
  }
  const effects: Effect[] = [];
  for (const st of sf.statements) {
    if (isDeclaration(st)) continue;
    if (ts.isExpressionStatement(st) && ts.isStringLiteral(st.expression)) continue; // a directive
    if (ts.isExpressionStatement(st) && isRealmSlot(st.expression, globalAliases, locals)) continue;
    const line = sf.getLineAndCharacterOfPosition(st.getStart(sf)).line + 1;
    effects.push({ line, text: st.getText(sf).split('\n')[0]!.slice(0, 100) });
  }
  return effects;
}

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isTypeAssertionExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

function isGlobalThis(e: ts.Expression, aliases: ReadonlySet<string>): boolean {
  const u = unwrap(e);
  return ts.isIdentifier(u) && aliases.has(u.text);
}

/** `globalThis[KEY] = state` (or through `const g = globalThis`), where `state` is a top-level variable of the module. */
function isRealmSlot(e: ts.Expression, aliases: ReadonlySet<string>, locals: ReadonlySet<string>): boolean {
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const target = unwrap(e.left);
  const value = unwrap(e.right);
  return ts.isElementAccessExpression(target) && isGlobalThis(target.expression, aliases) && ts.isIdentifier(value) && locals.has(value.text);
}

function isDeclaration(st: ts.Statement): boolean {
  if (ts.isImportDeclaration(st)) return st.importClause !== undefined;
  return (
    ts.isImportEqualsDeclaration(st) ||
    ts.isExportDeclaration(st) ||
    ts.isExportAssignment(st) ||
    ts.isFunctionDeclaration(st) ||
    ts.isClassDeclaration(st) ||
    ts.isInterfaceDeclaration(st) ||
    ts.isTypeAliasDeclaration(st) ||
    ts.isEnumDeclaration(st) ||
    ts.isModuleDeclaration(st) ||
    ts.isVariableStatement(st) ||
    ts.isEmptyStatement(st)
  );
}

/** A `sideEffects` glob as bundlers read it: relative to the package root; without a slash it matches a file name anywhere. */
export function sideEffectsPattern(glob: string): RegExp {
  let g = glob.replace(/^\.\//, '');
  if (!g.includes('/')) g = `**/${g}`;
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*' && g[i + 1] === '*') {
      const slash = g[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether the field keeps `path` (package-relative, no leading `./`). Absent means every module has effects. */
export function keptBySideEffects(field: boolean | string[] | undefined, path: string): boolean {
  if (field === undefined || field === true) return true;
  if (field === false) return false;
  return field.some((g) => sideEffectsPattern(g).test(path));
}

/** The compiled form of a source module (tsconfig: rootDir src, outDir dist). */
export function distPath(srcPath: string): string {
  return srcPath.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js');
}

/** The package's published source modules (tests left out), package-relative. */
export function sourceModules(pkgDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && !/\.(test|spec)\.ts$|\.d\.ts$/.test(e.name)) out.push(relative(pkgDir, p));
    }
  };
  walk(join(pkgDir, 'src'));
  return out.sort();
}

export interface Uncovered {
  module: string;
  /** The forms (src, dist) the field does not keep. */
  forms: string[];
  effects: Effect[];
}

/** Modules with import-time effects that the package's `sideEffects` would let a bundler drop. */
export function uncoveredEffects(pkgDir: string, field: boolean | string[] | undefined): Uncovered[] {
  const out: Uncovered[] = [];
  for (const mod of sourceModules(pkgDir)) {
    const effects = importTimeEffects(readFileSync(join(pkgDir, mod), 'utf8'), mod);
    if (effects.length === 0) continue;
    const forms = [mod, distPath(mod)].filter((p) => !keptBySideEffects(field, p));
    if (forms.length) out.push({ module: mod, forms, effects });
  }
  return out;
}

/** `sideEffects` globs that match no module in either form (a typo or a moved file). */
export function staleSideEffects(pkgDir: string, field: boolean | string[] | undefined): string[] {
  if (!Array.isArray(field)) return [];
  const paths = sourceModules(pkgDir).flatMap((m) => [m, distPath(m)]);
  return field.filter((g) => !paths.some((p) => sideEffectsPattern(g).test(p)));
}

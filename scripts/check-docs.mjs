#!/usr/bin/env node
// `npm run check:docs`: fails when the built package's public declarations leave something
// undocumented or leak internals. Run after `npm run build`; CI runs it.
//
// Public = every subpath in package.json "exports" (root, vendors, testing, and any subpath added
// later), read from the d.ts a user's editor reads. For each export it requires a doc comment on
// the export itself and on every public member of an exported class, interface or object type
// (inherited members included, so a member of an unexported base is not missed). Generated spec
// types (`paths`, `components`, `operations`) need a doc comment themselves, but their members are
// the vendor's spec, documented where the spec documents them.
//
// It also rejects, anywhere in dist's declarations, the two things a reader should never see:
// mixin helper types (`Foo_base`, emitted for `class Foo extends mixin(...)`) and `@internal`.
//
//   node scripts/check-docs.mjs              # the package in this directory
//   node scripts/check-docs.mjs --root DIR   # another package (the tests use fixtures)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const GENERATED = /^(paths|components|operations|webhooks|\$defs)(\$\d+)?$/;

/** Checks the package at `root`; returns the problems found, one line each. */
export function checkDocs(root) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const problems = [];
  const entries = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const types = typesOf(target);
    if (types === undefined) continue; // ./package.json and other non-code entries
    const file = resolve(root, types);
    if (!existsSync(file)) problems.push(`${subpath}: ${types} does not exist (run npm run build)`);
    else entries.push({ subpath: subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, file });
  }

  const program = ts.createProgram(
    entries.map((e) => e.file),
    { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true, skipLibCheck: true, types: [] },
  );
  const checker = program.getTypeChecker();
  const isOurs = (node) => {
    const name = node.getSourceFile().fileName;
    return !name.includes("/node_modules/") && !program.isSourceFileDefaultLibrary(node.getSourceFile());
  };
  const where = (node) => {
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return `${relative(root, sf.fileName)}:${line + 1}`;
  };
  const documented = (symbol) => {
    if (ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== "") return true;
    // A property/accessor documented only on one declaration (get vs set) still counts.
    return (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).some((j) => ts.isJSDoc(j) && ts.getTextOfJSDocComment(j.comment)?.trim()));
  };
  // Once per declaration: a member inherited by ten error classes, or a type two subpaths
  // export, is one problem.
  const reported = new Set();
  const report = (subpath, name, node) => {
    if (reported.has(node)) return;
    reported.add(node);
    problems.push(`${subpath}: ${name} has no doc comment (${where(node)})`);
  };

  for (const { subpath, file } of entries) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) {
      problems.push(`${subpath}: ${relative(root, file)} is not a module`);
      continue;
    }
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = exported.name;
      const declarations = (symbol.declarations ?? []).filter(isOurs);
      if (declarations.length === 0) continue; // re-exported from a dependency
      if (!documented(symbol)) report(subpath, name, declarations[0]);
      if (GENERATED.test(symbol.name)) continue;
      for (const [member, node] of publicMembers(checker, symbol, isOurs)) {
        const owner = node.parent && (ts.isClassLike(node.parent) || ts.isInterfaceDeclaration(node.parent)) ? node.parent.name?.text : undefined;
        if (!documented(member)) report(subpath, `${owner ?? name}.${member.name}`, node);
      }
    }
  }

  for (const file of declarationFiles(join(root, "dist"))) {
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      const at = `${relative(root, file)}:${i + 1}`;
      const mixin = /\b(\w+_base)\b/.exec(line);
      if (mixin) problems.push(`${at}: mixin helper type ${mixin[1]} in the public declarations`);
      if (line.includes("@internal")) problems.push(`${at}: @internal in the public declarations: ${line.trim()}`);
    });
  }
  return problems;
}

/** The members a user can reach on an exported class, interface or object type alias. */
function publicMembers(checker, symbol, isOurs) {
  const out = [];
  const add = (type, skip) => {
    for (const member of checker.getPropertiesOfType(type)) {
      if (skip?.has(member.name)) continue;
      const decl = (member.declarations ?? []).find(isOurs);
      if (!decl) continue; // Error's message/stack, Object's members
      const flags = ts.getCombinedModifierFlags(decl);
      if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      if (decl.name && ts.isPrivateIdentifier(decl.name)) continue;
      out.push([member, decl]);
    }
  };
  if (symbol.flags & ts.SymbolFlags.Class) {
    add(checker.getDeclaredTypeOfSymbol(symbol));
    add(checker.getTypeOfSymbol(symbol), new Set(["prototype"])); // statics
  } else if (symbol.flags & ts.SymbolFlags.Interface) {
    add(checker.getDeclaredTypeOfSymbol(symbol));
  } else if (symbol.flags & ts.SymbolFlags.TypeAlias) {
    const decl = symbol.declarations?.find(ts.isTypeAliasDeclaration);
    // Only an alias that spells out an object type; `X = Y<...>` is documented where Y is.
    if (decl && ts.isTypeLiteralNode(decl.type)) add(checker.getDeclaredTypeOfSymbol(symbol));
  }
  return out;
}

function typesOf(target) {
  if (typeof target === "string") return /\.d\.[cm]?ts$/.test(target) ? target : undefined;
  if (target === null || typeof target !== "object") return undefined;
  if (typeof target.types === "string") return target.types;
  for (const condition of ["import", "default", "require"]) {
    const found = target[condition] === undefined ? undefined : typesOf(target[condition]);
    if (found) return found;
  }
  return undefined;
}

function declarationFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.d\.[cm]?ts$/.test(d.name))
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .sort();
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const at = process.argv.indexOf("--root");
  const root = resolve(at === -1 ? join(dirname(new URL(import.meta.url).pathname), "..") : process.argv[at + 1]);
  const problems = checkDocs(root);
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error(`\n${problems.length} problem(s) in the public declarations: every export needs a doc comment (/** … */).`);
    process.exit(1);
  }
  console.log("every public export is documented; no mixin or @internal types in dist");
}

import * as fs from 'fs';
import * as path from 'path';
// Dev-only: typescript is a devDependency. Nothing reachable from the CLI or the barrel imports this file.
import * as ts from 'typescript';
import { ClassDoc, FieldDoc, FieldDocs, JsonSchema } from './field-docs';

/** Options of {@link extractFieldDocs}. */
export interface ExtractOptions {
  /** Package root (the folder holding `src/`). */
  root: string;
}

/**
 * Reads Floe's TypeScript sources with the compiler API and collects, for every config class
 * (a class with decorated fields, or named `...Config`) and every component class (one with a static `type`), its
 * TSDoc and each field's TSDoc, declared type and a JSON Schema of that type.
 */
export function extractFieldDocs(options: ExtractOptions): FieldDocs {
  const srcDir = path.join(options.root, 'src');
  const files = listTsFiles(srcDir).filter((f) => !f.startsWith(path.join(srcDir, 'docs') + path.sep));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    useDefineForClassFields: false,
    resolveJsonModule: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out: FieldDocs = {};
  const where = new Map<string, string>();
  for (const file of files) {
    const sourceFile = program.getSourceFile(file);
    if (sourceFile === undefined) continue;
    const relative = path.relative(options.root, file).split(path.sep).join('/');
    ts.forEachChild(sourceFile, (node) => {
      if (!ts.isClassDeclaration(node) || node.name === undefined) return;
      const doc = describeClass(node, checker, relative);
      if (doc === undefined) return;
      const name = node.name.text;
      const previous = where.get(name);
      if (previous !== undefined) {
        throw new Error(`Config class name ${name} is declared twice (${previous} and ${relative}); field docs are keyed by class name, so rename one.`);
      }
      where.set(name, relative);
      out[name] = doc;
    });
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}

/** The field docs as the committed JSON file holds them. */
export function formatFieldDocs(docs: FieldDocs): string {
  return `${JSON.stringify(docs, null, 2)}\n`;
}

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTsFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function describeClass(node: ts.ClassDeclaration, checker: ts.TypeChecker, file: string): ClassDoc | undefined {
  const properties = node.members.filter(ts.isPropertyDeclaration);
  const instanceFields = properties.filter((p) => !hasModifier(p, ts.SyntaxKind.StaticKeyword) && !hasModifier(p, ts.SyntaxKind.PrivateKeyword) && !hasModifier(p, ts.SyntaxKind.ProtectedKeyword) && ts.isIdentifier(p.name));
  const isConfig = instanceFields.some((p) => (ts.getDecorators(p) ?? []).length > 0) || /Config$/.test(node.name?.text ?? '');
  const isComponent = properties.some((p) => hasModifier(p, ts.SyntaxKind.StaticKeyword) && p.name.getText() === 'type' && p.initializer !== undefined);
  if (!isConfig && !isComponent) return undefined;
  const symbol = checker.getSymbolAtLocation(node.name as ts.Identifier);
  const fields: Record<string, FieldDoc> = {};
  if (isConfig) {
    for (const p of instanceFields) {
      const name = (p.name as ts.Identifier).text;
      const fieldSymbol = checker.getSymbolAtLocation(p.name);
      const type = checker.getTypeAtLocation(p);
      fields[name] = {
        doc: fieldSymbol === undefined ? '' : docText(fieldSymbol, checker),
        type: declaredType(p, type, checker),
        schema: typeToSchema(nonOptional(type, checker), checker, 0),
      };
    }
  }
  return { file, doc: symbol === undefined ? '' : docText(symbol, checker), fields };
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** A TSDoc comment as one paragraph: lines joined, tags dropped. */
function docText(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s*\n\s*/g, ' ').trim();
}

/** The type as written in the source (stable across compiler runs), else as inferred. */
function declaredType(p: ts.PropertyDeclaration, type: ts.Type, checker: ts.TypeChecker): string {
  if (p.type !== undefined) return p.type.getText().replace(/\s+/g, ' ');
  return checker.typeToString(checker.getBaseTypeOfLiteralType(nonOptional(type, checker)), p, ts.TypeFormatFlags.NoTruncation);
}

/** `T | undefined` → `T` (optional fields). */
function nonOptional(type: ts.Type, checker: ts.TypeChecker): ts.Type {
  return checker.getNonNullableType(type);
}

/** A JSON Schema for what a TypeScript type accepts as plain data (a hint; validators say more). */
function typeToSchema(type: ts.Type, checker: ts.TypeChecker, depth: number): JsonSchema {
  if (depth > 4) return {};
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
  if (f & ts.TypeFlags.BooleanLike) return { type: 'boolean' };
  if (f & ts.TypeFlags.NumberLiteral) return { const: (type as ts.NumberLiteralType).value };
  if (f & ts.TypeFlags.StringLiteral) return { const: (type as ts.StringLiteralType).value };
  if (f & ts.TypeFlags.NumberLike) return { type: 'number' };
  if (f & ts.TypeFlags.StringLike) return { type: 'string' };
  if (type.isUnion()) {
    const members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (members.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
    const literals = members.filter((t) => t.isStringLiteral() || t.isNumberLiteral()).map((t) => (t as ts.LiteralType).value as string | number);
    const others = members.filter((t) => !(t.isStringLiteral() || t.isNumberLiteral()));
    const parts: JsonSchema[] = [];
    // Union member order follows compiler-internal ids, so sort for a stable file.
    if (literals.length > 0) parts.push({ enum: literals.sort() });
    const rest = [...new Set(others.map((t) => JSON.stringify(typeToSchema(t, checker, depth + 1))))].sort();
    parts.push(...rest.map((r) => JSON.parse(r) as JsonSchema));
    return parts.length === 1 ? parts[0] : { anyOf: parts };
  }
  if (checker.isTupleType(type)) {
    const elements = checker.getTypeArguments(type as ts.TypeReference).map((t) => typeToSchema(t, checker, depth + 1));
    const same = elements.every((e) => JSON.stringify(e) === JSON.stringify(elements[0]));
    return { type: 'array', items: same ? (elements[0] ?? {}) : { anyOf: elements }, minItems: elements.length, maxItems: elements.length };
  }
  if (checker.isArrayType(type)) {
    const [item] = checker.getTypeArguments(type as ts.TypeReference);
    return { type: 'array', items: item === undefined ? {} : typeToSchema(item, checker, depth + 1) };
  }
  if (f & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) return { type: 'object' };
  return {};
}

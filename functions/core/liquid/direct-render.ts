import {
  type Context,
  type Emitter,
  evalToken,
  type Filter,
  ForTag,
  type Hash,
  IncludeTag,
  Liquid,
  LiquidError,
  RenderError,
  type Template,
  type Token,
  TypeGuards,
  toValue,
  toValueSync,
  type Value,
} from 'liquidjs';

/**
 * liquidjs renders through generators, even synchronously: every output, filter and property read is a
 * generator driven by `toValueSync`, and on a blog with Liquid in every post those generators are most of
 * what Liquid costs. The functions here give text, outputs and `assign` a plain `render` for synchronous
 * renders that does what liquidjs's generator does, step for step (same property reads, filters called
 * with the same `this` and arguments, same stringification); anything else they meet (an operator, a
 * range, strict variables, an error) is handed to liquidjs's own evaluation. `for` loops without
 * modifiers and `include`s of a named file get the same, for the same reason. An asynchronous render gets
 * liquidjs's generator unchanged.
 */

type RenderOf = (ctx: Context, emitter: Emitter) => unknown;

/** The prototype of every generator function's prototype, which its generator objects inherit from. */
const GENERATOR: object = Object.getPrototypeOf(function* () {}).prototype;

/**
 * What liquidjs's `yield` gives in a synchronous render: a generator run to its value, anything else as is.
 * liquidjs drives any object whose `next`, `throw` and `return` are functions; the values Herald renders
 * hold no such object besides the generators of liquidjs's own tags, filters and expressions (site data
 * is YAML, JSON or CSV; a post's drop is ours). Asking the prototype chain instead skips reading `next`
 * of every value: a post's `next` is a getter that builds every post's drop.
 */
const settle = (value: unknown): unknown =>
  typeof value === 'object' &&
  value !== null &&
  Object.getPrototypeOf(Object.getPrototypeOf(value)) === GENERATOR
    ? toValueSync(value as never)
    : value;

/** liquidjs's `evalToken`. */
function evaluate(token: Token | undefined, ctx: Context, lenient: boolean): unknown {
  if (!token) return undefined;
  if ('content' in token) return (token as { content: unknown }).content;
  if (!TypeGuards.isPropertyAccessToken(token) || ctx.strictVariables) {
    return settle(evalToken(token, ctx, lenient));
  }
  // evalPropertyAccessToken: the path's parts, then each read in turn from the variable or the scope
  // that holds the first part (Context._get, _getFromScope).
  const props: unknown[] = [];
  for (const prop of token.props) props.push(settle(toValue(evaluate(prop, ctx, false))));
  try {
    let value: unknown = token.variable
      ? evaluate(token.variable, ctx, lenient)
      : (ctx as unknown as Scopes).findScope(props[0] as string);
    for (const prop of props) value = settle(ctx.readProperty(value as object, prop as string));
    return value;
  } catch {
    // liquidjs's own error for it (UndefinedVariableError, with the token).
    return settle(evalToken(token, ctx, lenient));
  }
}

/** liquidjs's `Value.value`: the expression, then each filter. */
function valueFor(value: Value, ctx: Context, lenient: boolean): unknown {
  const filters = value.filters;
  const isLenient = lenient || (ctx.opts.lenientIf && filters.length > 0 && filters[0]?.name === 'default');
  const postfix = value.initial.postfix;
  const first = postfix[0];
  let result =
    postfix.length === 1 && !TypeGuards.isOperatorToken(first)
      ? evaluate(first, ctx, isLenient)
      : settle(value.initial.evaluate(ctx, isLenient));
  for (const filter of filters) result = applyFilter(filter, result, ctx);
  return result;
}

/** Context's `findScope`, which liquidjs declares private. */
interface Scopes {
  findScope(key: string): object;
}

/** What liquidjs's Filter holds (its fields are declared private). */
interface FilterFields {
  args: Filter['args'];
  handler: (...args: unknown[]) => unknown;
  token: unknown;
  liquid: unknown;
}

/** liquidjs's `Filter.render`. */
function applyFilter(filter: Filter, value: unknown, ctx: Context): unknown {
  const { args, handler, token, liquid } = filter as unknown as FilterFields;
  const argv: unknown[] = [value];
  for (const arg of args) {
    argv.push(Array.isArray(arg) ? [arg[0], evaluate(arg[1], ctx, false)] : evaluate(arg, ctx, false));
  }
  return settle(handler.apply({ context: ctx, token, liquid }, argv));
}

/**
 * Whether a render takes the plain paths: synchronous, without the options Herald does not set
 * (`keepOutputType`, `catchAllErrors`), under which liquidjs's loop over templates returns a generator.
 */
const rendersDirectly = (ctx: Context): boolean =>
  ctx.sync && !ctx.opts.keepOutputType && !ctx.opts.catchAllErrors;

/** Replaces `template`'s generator `render` with `direct` for synchronous renders. */
function renderDirectly(template: Template, direct: RenderOf): void {
  const generator = template.render as RenderOf;
  (template as { render: RenderOf }).render = function (this: Template, ctx, emitter) {
    if (!rendersDirectly(ctx)) return generator.call(this, ctx, emitter);
    direct(ctx, emitter);
    return undefined;
  };
}

/** liquidjs's `createScope`: a scope object without a prototype. */
function scopeOf(values: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, values);
}

/** liquidjs's `Hash.render`: each parameter's value (`true` for a name without one). */
function hashValues(hash: Hash, ctx: Context): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(hash.hash)) {
    const token = hash.hash[key];
    values[key] = token === undefined ? true : evaluate(token, ctx, false);
  }
  return values;
}

/** What liquidjs's IncludeTag holds (its fields are declared private). */
interface IncludeFields {
  file: unknown;
  currentFile?: string;
  withVar?: unknown;
  hash: Hash;
  liquid: Liquid & {
    _parsePartialFile(file: string, sync: boolean, currentFile?: string): Generator<unknown, Template[]>;
  };
}

/** liquidjs's BlockMode.OUTPUT (an enum it does not export). */
const BLOCK_MODE_OUTPUT = 0;

/**
 * The templates of an include's file, once found: liquidjs makes a parser and looks the file up again at
 * every render. The files a Liquid environment reads do not change while it renders.
 */
const partials = new WeakMap<object, Template[]>();

/**
 * liquidjs's `IncludeTag.render` for a file named in the markup, without `with`: the parameters, the
 * file's templates (parsed once, from liquidjs's cache), rendered in a scope of their own (Jekyll style:
 * the parameters as `include.x`).
 */
function includeDirectly(tag: IncludeFields & Template, file: string, ctx: Context, emitter: Emitter): void {
  const saved = ctx.saveRegister('blocks', 'blockMode');
  ctx.setRegister('blocks', {});
  ctx.setRegister('blockMode', BLOCK_MODE_OUTPUT);
  const include = scopeOf(hashValues(tag.hash, ctx));
  let templates = partials.get(tag);
  if (!templates) {
    templates = toValueSync(tag.liquid._parsePartialFile(file, true, tag.currentFile));
    partials.set(tag, templates);
  }
  ctx.push(ctx.opts.jekyllInclude ? scopeOf({ include }) : include);
  tag.liquid.renderer.renderTemplates(templates, ctx, emitter);
  ctx.pop();
  ctx.restoreRegister(saved);
}

type ForloopDropClass = new (length: number, collection: string, variable: string) => { next(): void };
let forloopDrop: ForloopDropClass | undefined;

/** liquidjs's ForloopDrop, which it does not export: the class of the `forloop` its own `for` makes. */
function forloopDropClass(): ForloopDropClass {
  if (forloopDrop) return forloopDrop;
  const probe = new Liquid();
  let drop: unknown;
  probe.registerFilter('keep', (value: unknown) => {
    drop = value;
    return '';
  });
  probe.parseAndRenderSync('{% for x in (1..1) %}{{ forloop | keep }}{% endfor %}');
  forloopDrop = (drop as { constructor: ForloopDropClass }).constructor;
  return forloopDrop;
}

/** liquidjs's `toEnumerable`: what a `for` loop walks. */
function enumerable(value: unknown): unknown[] {
  const plain = toValue(value);
  if (Array.isArray(plain)) return plain;
  if (typeof plain === 'string') return plain.length > 0 ? [plain] : [];
  if (plain !== null && (typeof plain === 'object' || typeof plain === 'function')) {
    if (Symbol.iterator in plain) return Array.from(plain as Iterable<unknown>);
    return Object.keys(plain).map((key) => [key, (plain as Record<string, unknown>)[key]]);
  }
  return [];
}

/**
 * liquidjs's `ForTag.render` for a loop without `offset`, `limit` or `reversed` (the only parameters it
 * takes): the collection, the `else` branch when it is empty, else the body once per item with
 * `forloop` and the loop variable in a scope of their own, left on `break`.
 */
function forDirectly(tag: ForTag, ctx: Context, emitter: Emitter): void {
  const renderer = tag.liquid.renderer;
  const collection = enumerable(evaluate(tag.collection, ctx, false));
  if (!collection.length) {
    renderer.renderTemplates(tag.elseTemplates, ctx, emitter);
    return;
  }
  const text = tag.collection.getText();
  const continueKey = `continue-${tag.variable}-${text}`;
  // What liquidjs's render leaves in the register: the offset a later `offset: continue` starts from.
  ctx.getRegister(continueKey, {});
  ctx.setRegister(continueKey, 0 + collection.length);
  const forloop = new (forloopDropClass())(collection.length, text, tag.variable);
  const scope = scopeOf({ forloop });
  ctx.push(scope);
  for (const item of collection) {
    scope[tag.variable] = item;
    ctx.continueCalled = ctx.breakCalled = false;
    renderer.renderTemplates(tag.templates, ctx, emitter);
    if (ctx.breakCalled) break;
    forloop.next();
  }
  ctx.continueCalled = ctx.breakCalled = false;
  ctx.pop();
}

/**
 * Gives `template` a plain synchronous `render` when it is text, an output, an `assign`, a `for` loop
 * without modifiers or an `include` of a named file (other tags keep liquidjs's). Returns the template.
 */
export function withDirectRender<T extends Template>(template: T, token: Token): T {
  if (TypeGuards.isHTMLToken(token)) {
    const text = (template as unknown as { str: string }).str;
    renderDirectly(template, (_ctx, emitter) => emitter.write(text));
  } else if (TypeGuards.isOutputToken(token)) {
    const { value } = template as unknown as { value: Value };
    renderDirectly(template, (ctx, emitter) => emitter.write(settle(toValue(valueFor(value, ctx, false)))));
  } else if (TypeGuards.isTagToken(token) && token.name === 'assign' && isAssign(template)) {
    const { key, value, liquid } = template;
    renderDirectly(template, (ctx) => {
      ctx.bottom()[key] = valueFor(value, ctx, liquid.options.lenientIf);
    });
  } else if (template instanceof ForTag && Object.keys(template.hash.hash).length === 0) {
    renderDirectly(template, (ctx, emitter) => forDirectly(template, ctx, emitter));
  } else if (template instanceof IncludeTag) {
    const fields = template as unknown as IncludeFields & Template;
    const { file } = fields;
    if (typeof file === 'string' && file !== '' && fields.withVar === undefined) {
      renderDirectly(template, (ctx, emitter) => includeDirectly(fields, file, ctx, emitter));
    }
  }
  return template;
}

/** liquidjs's AssignTag, as its constructor leaves it. */
function isAssign(
  template: Template,
): template is Template & { key: string; value: Value; liquid: { options: { lenientIf: boolean } } } {
  const t = template as unknown as { key?: unknown; value?: unknown; liquid?: unknown };
  return (
    typeof t.key === 'string' && typeof t.value === 'object' && t.value !== null && t.liquid !== undefined
  );
}

/** liquidjs's SimpleEmitter (not exported): output appended as text. */
class TextEmitter implements Emitter {
  buffer = '';
  write(html: unknown): void {
    this.buffer += textOf(html);
  }
}

/** liquidjs's `stringify`. */
function textOf(value: unknown): string {
  const plain = toValue(value);
  if (typeof plain === 'string') return plain;
  if (plain === null || plain === undefined) return '';
  if (Array.isArray(plain)) return plain.map(textOf).join('');
  return String(plain);
}

type RenderTemplates = (templates: Template[], ctx: Context, emitter?: Emitter) => unknown;

/**
 * Gives `liquid`'s renderer a plain `renderTemplates` for synchronous renders: the loop every tag runs
 * over its body (the post itself, a `for` loop's body, an include). It does what liquidjs's generator
 * does: the render time limit checked before each template, a template's returned text written, the loop
 * left on `break`/`continue`, an error wrapped as liquidjs wraps it. Asynchronous renders, and the
 * options Herald does not set (`keepOutputType`, `catchAllErrors`), keep liquidjs's generator.
 */
export function renderTemplatesDirectly(liquid: Liquid): void {
  const renderer = liquid.renderer as unknown as { renderTemplates: RenderTemplates };
  const generator = renderer.renderTemplates;
  renderer.renderTemplates = function (this: unknown, templates, ctx, emitter) {
    if (!rendersDirectly(ctx)) {
      return generator.call(this, templates, ctx, emitter);
    }
    const out = emitter ?? new TextEmitter();
    const limit = (ctx as unknown as { renderLimit: { check(now: number): void } }).renderLimit;
    limit.check(performance.now());
    for (const template of templates) {
      limit.check(performance.now());
      try {
        const html = settle(template.render(ctx, out));
        if (html) out.write(html);
        if (ctx.breakCalled || ctx.continueCalled) break;
      } catch (error) {
        throw LiquidError.is(error) ? error : new RenderError(error as Error, template);
      }
    }
    return (out as unknown as { buffer: unknown }).buffer;
  };
}

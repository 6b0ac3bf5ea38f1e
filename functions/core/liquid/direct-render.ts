import {
  type Context,
  type Emitter,
  evalToken,
  type Filter,
  type Liquid,
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
 * range, strict variables, an error) is handed to liquidjs's own evaluation. An asynchronous render gets
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

/** Replaces `template`'s generator `render` with `direct` for synchronous renders. */
function renderDirectly(template: Template, direct: RenderOf): void {
  const generator = template.render as RenderOf;
  (template as { render: RenderOf }).render = function (this: Template, ctx, emitter) {
    if (!ctx.sync) return generator.call(this, ctx, emitter);
    direct(ctx, emitter);
    return undefined;
  };
}

/**
 * Gives `template` a plain synchronous `render` when it is text, an output or an `assign` (other tags
 * keep liquidjs's). Returns the template.
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
    if (!ctx.sync || ctx.opts.keepOutputType || ctx.opts.catchAllErrors) {
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

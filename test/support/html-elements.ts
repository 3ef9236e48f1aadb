/**
 * Just enough HTML reading for tests of server-rendered pages: the element
 * that carries an attribute, and the text a person would read in it.
 */

/**
 * The whole element (tags included) whose opening tag has
 * `attribute="value"`, or undefined. Nested elements of the same name are
 * counted, so the element closes where it really closes.
 */
export function elementWith(
  html: string,
  attribute: string,
  value: string | number,
): string | undefined {
  const opening = new RegExp(
    `<([a-z][a-z0-9]*)\\b[^>]*\\s${attribute}="${String(value)}"[^>]*>`,
    'i',
  ).exec(html)
  if (!opening) return undefined

  const name = opening[1]!.toLowerCase()
  const tags = new RegExp(`<(/?)${name}\\b[^>]*>`, 'gi')
  tags.lastIndex = opening.index + opening[0].length
  let depth = 1
  for (let tag = tags.exec(html); tag; tag = tags.exec(html)) {
    depth += tag[1] === '/' ? -1 : 1
    if (depth === 0) return html.slice(opening.index, tags.lastIndex)
  }

  return undefined
}

/** Every element whose opening tag has `attribute`, with its value. */
export function elementsWith(
  html: string,
  attribute: string,
): { value: string; html: string }[] {
  const values = [
    ...html.matchAll(new RegExp(`\\s${attribute}="([^"]*)"`, 'g')),
  ].map((match) => match[1]!)

  return values.map((value) => ({
    value,
    html: elementWith(html, attribute, value)!,
  }))
}

/** The text of `html` as read: tags dropped, entities decoded, spaces one. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
}

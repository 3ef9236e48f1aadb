/**
 * Reads the Prometheus text exposition format, so tests can ask for one
 * sample by name and labels instead of searching the text.
 */

/** One line of samples: a name, its labels and its value. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** A parsed exposition: each metric family's type, and every sample. */
export interface Exposition {
  types: Map<string, string>
  samples: Sample[]
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy

/**
 * Parses `text`.
 *
 * @throws Error naming the first line that is not in the format.
 */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>()
  const samples: Sample[] = []

  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const [, keyword, name, type] = line.split(' ')
      if (keyword === 'TYPE') types.set(name!, type!)
      continue
    }

    samples.push(parseSample(line))
  }

  return { types, samples }
}

function parseSample(line: string): Sample {
  const match = SAMPLE_LINE.exec(line)
  if (!match) throw new Error(`not a sample line: ${line}`)

  const [, name, labelText = '', valueText] = match

  return {
    name: name!,
    labels: parseLabels(labelText, line),
    value: parseValue(valueText!, line),
  }
}

// Values are read as Go's ParseFloat reads them, as Prometheus does: NaN
// and Inf in any case (prom-client writes "Nan").
function parseValue(text: string, line: string): number {
  if (/^nan$/i.test(text)) return NaN
  if (/^\+?inf$/i.test(text)) return Infinity
  if (/^-inf$/i.test(text)) return -Infinity

  const value = Number(text)
  if (Number.isNaN(value)) throw new Error(`not a sample value: ${line}`)

  return value
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  LABEL_PAIR.lastIndex = 0

  while (LABEL_PAIR.lastIndex < text.length) {
    const pair = LABEL_PAIR.exec(text)
    if (!pair) throw new Error(`bad labels in sample line: ${line}`)
    labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) =>
      c === 'n' ? '\n' : c,
    )
  }

  return labels
}

/** The samples named `name` whose labels include every one of `labels`. */
export function samplesOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, v]) => sample.labels[key] === v),
  )
}

/** The value of the one sample `name` with exactly `labels`; 0 if absent. */
export function valueOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string>,
): number {
  const wanted = Object.keys(labels).length
  const found = samplesOf(exposition, name, labels).filter(
    (sample) => Object.keys(sample.labels).length === wanted,
  )
  if (found.length > 1) {
    throw new Error(`${found.length} samples of ${name} match the labels`)
  }

  return found[0]?.value ?? 0
}

/**
 * Times as the console shows them: in the shop's time zone, with the zone
 * named, beside the UTC instant for machines.
 */

/** A moment ready for a `<time>` element. */
export interface ShownTime {
  /** UTC ISO 8601, for the `datetime` attribute. */
  iso: string
  /** For people: date and time in the shop's zone, the zone named. */
  text: string
}

/** Makes a formatter of times in the IANA zone `timeZone`. */
export function shopTimeFormatter(
  timeZone: string,
): (at: Date | null | undefined) => ShownTime | undefined {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    dateStyle: 'medium',
    timeStyle: 'medium',
  })

  return (at) => {
    if (!at) return undefined

    return { iso: at.toISOString(), text: `${format.format(at)} ${timeZone}` }
  }
}

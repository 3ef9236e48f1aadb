/** The table the database baselines store events in, one row an event. */
export const BASELINE_EVENTS_TABLE = 'baseline_events'

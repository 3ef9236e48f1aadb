/** The table the Express baseline stores events in, one row an event. */
export const EXPRESS_EVENTS_TABLE = 'express_events'

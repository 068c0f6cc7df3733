import { nullPrototype, parseDictJson } from '../dict.ts';

/**
 * A state read back from an item's `state` attribute. States keyed by client
 * ids (profile days → items, campaign days → variants) are written as JSON
 * strings, so no client id becomes a DynamoDB map key (the SDK's
 * marshalling mistakes a `constructor` key for a class instance and turns a
 * `__proto__` key into the map's prototype); a state written as a map by an
 * earlier version is still read. Either way its objects are null-prototype.
 */
export function readState<T>(attribute: unknown): T {
  return typeof attribute === 'string'
    ? parseDictJson<T>(attribute)
    : nullPrototype(attribute as T);
}

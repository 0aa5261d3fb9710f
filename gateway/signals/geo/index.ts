export { geoSignals, geoToRemember, NO_GEO_HISTORY, type GeoHistory, type GeoMemory, type GeoSignals, type LastSuccess } from './geo-signals';
export { geoDatabaseLoaded, lookupGeo, UNKNOWN_GEO, type GeoLocation } from './lookup';
export { EARTH_RADIUS_KM, greatCircleKm, IMPOSSIBLE_TRAVEL_KMH, MIN_ELAPSED_MS, travelKmh, travelledKm, type Place } from './travel';

-- Run once by the PostGIS image when its data directory is created (compose.yaml).
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

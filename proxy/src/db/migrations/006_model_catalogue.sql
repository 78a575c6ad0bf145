-- Model identity: the digest a rig reported for each model it serves, and why the proxy refused it (its
-- digest is not the catalogue's, or the model is not catalogued outside local mode). A refused model is
-- not served: the rig gets no jobs for it.
ALTER TABLE rig_models ADD COLUMN digest text;
ALTER TABLE rig_models ADD COLUMN refused text;

-- One row: the catalog the connection reads (the snapshot's, e.g. warehouse).
select current_database() as database

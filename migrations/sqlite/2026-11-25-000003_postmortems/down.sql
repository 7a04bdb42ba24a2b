DROP TABLE postmortems;

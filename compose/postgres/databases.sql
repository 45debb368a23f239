-- One server, one database per shop: the trees share table names.
CREATE DATABASE shop_before;
CREATE DATABASE shop_after;

-- An inventory's packages move from a row each (with an index by package) into one column of
-- the inventory: the package IDs, ascending, comma-separated. Each new inventory wrote to as
-- many index pages as it had packages; now it writes one row. Which inventories hold a package
-- is answered by a pass over the inventories (see fleet/package_lists.rs).
ALTER TABLE fleet_inventories ADD COLUMN package_ids TEXT NOT NULL DEFAULT '';
UPDATE fleet_inventories SET package_ids = COALESCE(
    (SELECT group_concat(ip.package_id, ',' ORDER BY ip.package_id) FROM fleet_inventory_packages ip
     WHERE ip.inventory_id = fleet_inventories.id), '');
DROP TABLE fleet_inventory_packages;

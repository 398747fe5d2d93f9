"""Places in Kabupaten Balangan: polygons, place names, hotspot figures."""

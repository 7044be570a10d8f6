// Functions the app's map calls (dash-leaflet looks them up by name): each feature drawn in
// the colour the server gave it; the bigger the hub class, the bigger the dot.
window.optimiseApp = Object.assign({}, window.optimiseApp, {
  features: {},
  map: {
    point: function (feature, latlng) {
      var p = feature.properties;
      if (p._flag) {  // a cascade flag: a ring in its colour
        return L.circleMarker(latlng, {radius: 7, color: p._colour, fill: false, weight: 3});
      }
      var radius = p.size ? 8 : (p.open !== undefined ? 4 : (p.kind !== undefined ? 6 : 3));
      var marker = L.circleMarker(latlng, {radius: radius, color: p._colour, fillColor: p._colour,
                                           fillOpacity: 0.85, weight: 1});
      if (p.id !== undefined) { window.optimiseApp.features[p.id] = marker; }  // for tests and links
      return marker;
    },
    style: function (feature) {
      return {color: feature.properties._colour, weight: 2, fillOpacity: 0.15};
    }
  }
});

/* covgap coverage map: village and site layers, popups, serving-site lines, search,
 * measuring. Needs Leaflet 1.9 and the vendored plugins (markercluster, leaflet-search,
 * fullscreen, minimap). Every text handed to it by covgap is already HTML-escaped; text
 * that leaves HTML (search keys, input values) is decoded once and only ever set as
 * textContent or an input's value. */
var covgap = (function () {
  'use strict';
  var C = {WEDGE_ZOOM: 12, CLUSTER_OFF_ZOOM: 13, FOCUS_ZOOM: 14,
    POPUP: {maxWidth: 380, autoPanPaddingTopLeft: [60, 160]}};  // clear of the title box

  /* --- text ------------------------------------------------------------------------ */
  C.text = function (html) {  // escaped HTML -> plain text (textarea content is inert)
    var t = document.createElement('textarea');
    t.innerHTML = html;
    return t.value;
  };
  C.fold = function (s) {  // case- and diacritic-free, for Vietnamese search
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[\u0111\u0110]/g, 'd')
      .toLowerCase();
  };
  C.popup = function (p, rows) {
    var h = '<div class="cg-pop"><b>' + p.t + '</b><table>';
    for (var i = 0; i < rows.length; i++) {
      if (p.v[i] !== null && p.v[i] !== undefined && p.v[i] !== '') {
        h += '<tr><th>' + rows[i] + '</th><td>' + p.v[i] + '</td></tr>';
      }
    }
    return h + '</table></div>';
  };

  /* --- per-map state, panes ----------------------------------------------------------- */
  function state(map) {
    if (!map._cg) {
      map._cg = {index: [], keys: {}, sites: {}, front: [], renderers: {}, cfg: {text: {}}};
      map._cg.links = L.layerGroup().addTo(map);
      map.on('zoomend moveend overlayadd', function () { C.raise(map); });
    }
    return map._cg;
  }
  C.pane = function (map, name, z, blend) {
    if (!map.getPane(name)) {
      var p = map.createPane(name);
      p.style.zIndex = z;
      p.style.pointerEvents = 'none';
      if (blend) { p.style.mixBlendMode = blend; }
    }
    return name;
  };
  function renderer(map, pane, z) {
    var st = state(map);
    if (!st.renderers[pane]) {
      st.renderers[pane] = L.canvas({pane: C.pane(map, pane, z)});
    }
    return st.renderers[pane];
  }
  // Gap villages and request rings share the overlay canvas with the clustered villages;
  // the cluster re-adds markers as the view changes, so lift the gaps back on top.
  C.raise = function (map) {
    state(map).front.forEach(function (layer) {
      if (map.hasLayer(layer)) { layer.bringToFront(); }
    });
  };

  /* --- villages ---------------------------------------------------------------------- */
  // Clusters hold the covered villages: small, muted discs that recede behind the gaps.
  function clusterIcon(cluster) {
    var markers = cluster.getAllChildMarkers(), n = markers.length, counts = {}, stops = [];
    var acc = 0, size = n < 10 ? 16 : n < 100 ? 20 : 24;
    markers.forEach(function (m) {
      var c = m.options.fillColor;
      counts[c] = (counts[c] || 0) + 1;
    });
    Object.keys(counts).forEach(function (c) {
      var end = acc + 360 * counts[c] / n;
      stops.push(c + ' ' + acc.toFixed(1) + 'deg ' + end.toFixed(1) + 'deg');
      acc = end;
    });
    return L.divIcon({
      className: 'cg-cluster', iconSize: L.point(size, size),
      html: '<div style="background:conic-gradient(' + stops.join(',') + ')"><span>' + n +
        '</span></div>'
    });
  }
  C.cluster = function (map) {
    var st = state(map);
    if (!st.cluster) {
      st.cluster = L.markerClusterGroup({
        maxClusterRadius: 45, disableClusteringAtZoom: C.CLUSTER_OFF_ZOOM,
        showCoverageOnHover: false, spiderfyOnMaxZoom: false, chunkedLoading: true,
        iconCreateFunction: clusterIcon
      });
      st.cluster.on('animationend', function () { C.raise(map); });
    }
    return st.cluster;
  };
  // One class of villages inside the shared cluster group, switchable on its own.
  C.ClusterPart = L.Layer.extend({
    initialize: function (markers, group) { this._markers = markers; this._group = group; },
    onAdd: function (map) {
      if (!map.hasLayer(this._group)) { map.addLayer(this._group); }
      this._group.addLayers(this._markers);
    },
    onRemove: function () { this._group.removeLayers(this._markers); }
  });
  // Points drawn as SVG in their own pane (o.pane, o.z) stay above the cluster icons;
  // the pane lets clicks through except on its markers.
  function svgRenderer(map, pane, z) {
    var st = state(map), key = 'svg:' + pane;
    if (!st.renderers[key]) { st.renderers[key] = L.svg({pane: C.pane(map, pane, z)}); }
    return st.renderers[key];
  }
  C.villages = function (map, data, rows, o) {
    var st = state(map), markers = [];
    var style = o.pane ? L.extend({}, o.style, {renderer: svgRenderer(map, o.pane, o.z || 640)})
                       : o.style;
    var layer = L.geoJson(data, {
      pointToLayer: function (f, ll) { return L.circleMarker(ll, style); },
      onEachFeature: function (f, m) {
        var p = f.properties;
        m.bindPopup(function () { return C.popup(p, rows); }, C.POPUP);
        m.bindTooltip(p.t, {direction: 'top'});
        m.on('popupopen', function () { C.links(map, p, m.getLatLng()); });
        m.on('popupclose', function () { st.links.clearLayers(); });
        markers.push(m);
      }
    });
    var shown = o.cluster ? new C.ClusterPart(markers, C.cluster(map)) : layer;
    if (!o.cluster) { st.front.unshift(layer); }
    markers.forEach(function (m, i) { index(st, data.features[i].properties, m, shown, o); });
    return shown;
  };
  function index(st, p, m, layer, o) {
    var name = C.text(p.t), commune = o.communeRow >= 0 && p.v[o.communeRow];
    var key = commune ? name + ' \u2013 ' + C.text(commune) : name;
    if (st.keys[key]) { key += ' (' + C.text(p.v[0] || '') + ')'; }
    st.keys[key] = true;
    st.index.push({key: key, fold: C.fold(key), m: m, layer: layer});
  }
  C.rings = function (map, coords, style) {
    if (style.pane) {
      style = L.extend({}, style, {renderer: svgRenderer(map, style.pane, style.z || 650)});
    }
    var rings = L.featureGroup(coords.map(function (c) {
      return L.circleMarker([c[1], c[0]], style);
    }));
    state(map).front.push(rings);
    return rings;
  };
  // Serving site (solid), nearest site (dashed) and the obstacle of the selected village.
  C.links = function (map, p, ll) {
    var st = state(map), l = p.l;
    st.links.clearLayers();
    if (!l) { return; }
    var best = l[0] && st.sites[l[0]], near = l[1] && st.sites[l[1]];
    if (near && near !== best) {
      L.polyline([ll, near.ll], {color: '#333', weight: 2, dashArray: '6 6', interactive: false})
        .addTo(st.links);
    }
    if (best) {
      L.polyline([ll, best.ll], {color: best.colour, weight: 4, opacity: 0.9, interactive: false})
        .addTo(st.links);
    }
    if (l[2] !== null && l[3] !== null && l[2] !== undefined) {
      L.marker([l[2], l[3]], {interactive: false, keyboard: false, icon: L.divIcon({
        className: 'cg-obstacle', iconSize: [16, 16], html: '\u2716'})}).addTo(st.links);
    }
  };

  /* --- sites and sector wedges ----------------------------------------------------------- */
  C.sites = function (map, data, rows, o) {
    var st = state(map);
    var markers = L.geoJson(data, {
      pointToLayer: function (f, ll) {
        return L.marker(ll, {keyboard: false, icon: L.divIcon({className: '', iconSize: [10, 9],
          html: '<div class="cg-site" style="--c:' + o.colour + '"></div>'})});
      },
      onEachFeature: function (f, m) {
        var p = f.properties, site = {ll: m.getLatLng(), colour: o.colour};
        m.bindPopup(function () { return C.popup(p, rows); }, C.POPUP);
        m.bindTooltip(p.t, {direction: 'top'});
        st.sites[p.k] = site;
        st.sites['|' + p.t] = st.sites['|' + p.t] || site;
      }
    });
    return L.featureGroup([markers, new C.Wedges(data, o)]);
  };
  function wedge(lat, lon, az, bw, r) {
    var pts = [], kx = Math.cos(lat * Math.PI / 180) * 111320, omni = az === null || bw >= 360;
    var a0 = omni ? 0 : az - bw / 2, a1 = omni ? 360 : az + bw / 2;
    var n = Math.max(4, Math.ceil((a1 - a0) / 8));
    if (!omni) { pts.push([lat, lon]); }
    for (var i = 0; i <= n; i++) {
      var a = (a0 + (a1 - a0) * i / n) * Math.PI / 180;
      pts.push([lat + r * Math.cos(a) / 111320, lon + r * Math.sin(a) / kx]);
    }
    return pts;
  }
  // Wedges of one carrier, drawn (and built, the first time) only when zoomed in.
  C.Wedges = L.Layer.extend({
    initialize: function (data, o) { this._data = data; this._o = o; },
    onAdd: function (map) { map.on('zoomend', this._update, this); this._update(); },
    onRemove: function (map) {
      map.off('zoomend', this._update, this);
      if (this._group) { map.removeLayer(this._group); }
    },
    _update: function () {
      var map = this._map, show = map.getZoom() >= C.WEDGE_ZOOM;
      if (show && !this._group) { this._group = this._build(map); }
      if (!this._group) { return; }
      if (show && !map.hasLayer(this._group)) { map.addLayer(this._group); }
      if (!show && map.hasLayer(this._group)) { map.removeLayer(this._group); }
    },
    _build: function (map) {
      var o = this._o, style = {renderer: renderer(map, 'cgWedges', 390), interactive: false,
        color: o.colour, weight: 1, opacity: 0.9, fillColor: o.colour, fillOpacity: 0.16};
      var polygons = [];
      this._data.features.forEach(function (f) {
        var c = f.geometry.coordinates;
        (f.properties.w || []).forEach(function (w) {
          var kind = o.kinds[w[2]];
          polygons.push(L.polygon(wedge(c[1], c[0], w[0], w[1], kind[0]),
            L.extend({dashArray: kind[2] || null}, style)));
        });
      });
      return L.layerGroup(polygons);
    }
  });

  /* --- tools ------------------------------------------------------------------------------ */
  C.focus = function (map, item) {
    if (!map.hasLayer(item.layer)) { map.addLayer(item.layer); }
    map.setView(item.m.getLatLng(), Math.max(map.getZoom(), C.FOCUS_ZOOM), {animate: false});
    var tries = 0, timer = setInterval(function () {  // clusters re-add markers after zooming
      if (map.hasLayer(item.m) || ++tries > 40) {
        clearInterval(timer);
        if (map.hasLayer(item.m)) { item.m.openPopup(); }
      }
    }, 50);
  };
  C.search = function (map, t) {
    var st = state(map);
    return new L.Control.Search({
      position: 'topleft', initial: false, marker: false, tooltipLimit: 15, autoType: false,
      textPlaceholder: t.search, textErr: t.not_found, textCancel: t.cancel,
      sourceData: function (text, callback) {
        callback(st.index);
        return {abort: function () {}};
      },
      formatData: function (items) {
        var records = {};
        items.forEach(function (it) {
          var ll = L.latLng(it.m.getLatLng());
          ll.cg = it;
          records[it.key] = ll;
        });
        return records;
      },
      filterData: function (text, records) {
        var q = C.fold(text.trim()), first = [], rest = [], out = {};
        if (!q) { return out; }
        Object.keys(records).forEach(function (k) {
          var at = records[k].cg.fold.indexOf(q);
          if (at === 0) { first.push(k); } else if (at > 0) { rest.push(k); }
        });
        first.concat(rest).forEach(function (k) { out[k] = records[k]; });
        return out;
      },
      buildTip: function (text, ll) {
        var li = document.createElement('li'), dot = document.createElement('span');
        dot.className = 'cg-dot';
        dot.style.background = ll.cg.m.options.fillColor;
        li.appendChild(dot);
        li.appendChild(document.createTextNode(text));
        return li;
      },
      moveToLocation: function (ll) { C.focus(map, ll.cg); }
    });
  };
  C.Measure = L.Control.extend({
    options: {position: 'topleft', title: '', decimal: '.'},
    onAdd: function (map) {
      var box = L.DomUtil.create('div', 'leaflet-bar cg-measure'), a = L.DomUtil.create('a', '', box);
      a.href = '#';
      a.title = this.options.title;
      a.setAttribute('role', 'button');
      a.setAttribute('aria-label', this.options.title);
      a.innerHTML = '<svg viewBox="0 0 24 24" width="18" height="18"><path d="M2 16 16 2l6 6L8 22z' +
        'M6 12l2 2M9 9l3 3M12 6l2 2" fill="none" stroke="#333" stroke-width="1.6"/></svg>';
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.on(a, 'click', function (e) {
        L.DomEvent.preventDefault(e);
        if (this._on) { this._stop(); } else { this._start(); }
      }, this);
      this._layer = L.layerGroup().addTo(map);
      this._keys = L.bind(function (e) {
        if (e.key === 'Escape') { this._stop(); this._layer.clearLayers(); }
      }, this);
      document.addEventListener('keydown', this._keys);
      return box;
    },
    onRemove: function () { this._stop(); document.removeEventListener('keydown', this._keys); },
    _start: function () {
      var map = this._map;
      this._on = true;
      this._points = [];
      this._layer.clearLayers();
      L.DomUtil.addClass(this._container, 'cg-on');
      L.DomUtil.addClass(map.getContainer(), 'cg-measuring');
      map.doubleClickZoom.disable();
      map.on('click', this._add, this);
      map.on('dblclick', this._stop, this);
    },
    _stop: function () {
      var map = this._map;
      if (!this._on) { return; }
      this._on = false;
      L.DomUtil.removeClass(this._container, 'cg-on');
      L.DomUtil.removeClass(map.getContainer(), 'cg-measuring');
      map.off('click', this._add, this);
      map.off('dblclick', this._stop, this);
      setTimeout(function () { map.doubleClickZoom.enable(); }, 0);
    },
    _add: function (e) {
      var pts = this._points, metres = 0;
      pts.push(e.latlng);
      for (var i = 1; i < pts.length; i++) { metres += this._map.distance(pts[i - 1], pts[i]); }
      this._layer.clearLayers();
      L.polyline(pts, {color: '#000', weight: 2, dashArray: '4 4', interactive: false})
        .addTo(this._layer);
      pts.forEach(function (p) {
        L.circleMarker(p, {radius: 3, color: '#000', fillColor: '#fff', fillOpacity: 1,
          interactive: false}).addTo(this._layer);
      }, this);
      L.tooltip({permanent: true, direction: 'right', className: 'cg-measure-label'})
        .setLatLng(e.latlng)
        .setContent((metres / 1000).toFixed(2).replace('.', this.options.decimal) + ' km')
        .addTo(this._layer);
      this.distance = metres;
    }
  });
  // Fit ``bounds`` in the part of the map no box covers: each box (title, legend, minimap,
  // controls) is cleared either by its height (from the top or bottom edge it is nearer)
  // or by its width (from the left or right edge); of every choice, the one that keeps
  // the largest zoom wins.
  C.boxes = function (map) {
    var c = map.getContainer().getBoundingClientRect(), out = [];
    var found = document.querySelectorAll('.cg-box, .leaflet-control-minimap, ' +
      '.leaflet-control-layers, .leaflet-left .leaflet-control, .leaflet-control-scale, ' +
      '.leaflet-control-attribution');
    for (var i = 0; i < found.length; i++) {
      var r = found[i].getBoundingClientRect();
      if (r.width > 0 && r.height > 0) {
        out.push({el: found[i], l: r.left - c.left, t: r.top - c.top, r: r.right - c.left,
          b: r.bottom - c.top});
      }
    }
    return out;
  };
  C.fitClear = function (map, bounds, margin) {
    var size = map.getSize(), boxes = C.boxes(map), m = margin || 12, best = null;
    var n = Math.min(boxes.length, 12);
    for (var k = 0; k < (1 << n); k++) {
      var tl = [m, m], br = [m, m];
      for (var i = 0; i < n; i++) {
        var b = boxes[i];
        if ((k >> i) & 1) {
          if (b.t < size.y - b.b) { tl[1] = Math.max(tl[1], b.b + m); }
          else { br[1] = Math.max(br[1], size.y - b.t + m); }
        } else if (b.l < size.x - b.r) { tl[0] = Math.max(tl[0], b.r + m); }
        else { br[0] = Math.max(br[0], size.x - b.l + m); }
      }
      var w = size.x - tl[0] - br[0], h = size.y - tl[1] - br[1], room = w * h;
      if (w < size.x / 3 || h < size.y / 4) { continue; }  // too little map left
      var z = map.getBoundsZoom(bounds, false, L.point(tl[0] + br[0], tl[1] + br[1]));
      if (!best || z > best.z || (z === best.z && room > best.room)) {
        best = {z: z, tl: tl, br: br, room: room};
      }
    }
    best = best || {z: null, tl: [m, m], br: [m, m]};
    map.fitBounds(bounds, {paddingTopLeft: best.tl, paddingBottomRight: best.br,
      animate: false});
    return best;
  };
  C.tools = function (map, cfg, refs) {
    var st = state(map), t = cfg.text;
    st.cfg = cfg;
    L.control.fullscreen({position: 'topleft', title: t.fullscreen, titleCancel: t.fullscreen_exit})
      .addTo(map);
    st.search = C.search(map, t).addTo(map);
    st.measure = new C.Measure({title: t.measure, decimal: cfg.decimal}).addTo(map);
    var mini = [];
    if (refs.relief) { mini.push(L.imageOverlay(refs.relief._url, refs.relief._bounds)); }
    else { mini.push(L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png')); }
    if (refs.districts) {
      mini.push(L.geoJson(refs.districts.toGeoJSON(), {interactive: false,
        style: function () { return {color: '#333', weight: 1, fill: false}; }}));
    }
    st.minimap = new L.Control.MiniMap(L.layerGroup(mini), {
      position: 'bottomleft', toggleDisplay: true, width: 170, height: 140,
      zoomLevelOffset: -4, strings: {hideText: t.minimap_hide, showText: t.minimap_show},
      mapOptions: {attributionControl: false}
    }).addTo(map);
    if (cfg.bounds) { st.fit = C.fitClear(map, L.latLngBounds(cfg.bounds)); }
    C.raise(map);
    return st;
  };
  return C;
})();

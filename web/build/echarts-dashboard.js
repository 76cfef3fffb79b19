// The ECharts modules the web pages draw with, bundled by `python3 web/vendor.py` (esbuild)
// into web/vendor/echarts-5.6.0/echarts.dashboard.min.js. The full ECharts bundle was most of
// the dashboard's weight on a phone; only these charts and components are used. Add a module
// here, and rerun web/vendor.py --pin, before the pages use a new chart type or component.
import * as echarts from "echarts/core";
import { BarChart, LineChart, ScatterChart, MapChart } from "echarts/charts";
import {
  GridComponent,
  TooltipComponent,
  LegendPlainComponent,
  VisualMapContinuousComponent,
} from "echarts/components";
// Canvas draws on screen; SVG is for the SVG download.
import { CanvasRenderer, SVGRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  LineChart,
  ScatterChart,
  MapChart,
  GridComponent,
  TooltipComponent,
  LegendPlainComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
  SVGRenderer,
]);

// The pages use the global `echarts`, as they did with the full bundle.
window.echarts = echarts;

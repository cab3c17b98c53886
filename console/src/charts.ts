// ECharts from echarts/core with only what the console draws (bars and lines on a grid), for the lazy chart pages.
import { use } from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import VChart from 'vue-echarts';

use([BarChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

export { VChart };

/** The console's series colours (the darkened Element Plus palette). */
export const COLORS = { primary: '#1f5fbf', danger: '#c0392b', warning: '#9a5b00', success: '#2d7a1f', info: '#5b6270' };

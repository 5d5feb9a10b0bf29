import { css } from "lit";

export const shared = css`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, Roboto, sans-serif);
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  .error {
    color: var(--error-color, #db4437);
  }
  button,
  select,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--divider-color, #ccc);
    background: var(--card-background-color, #fff);
    border-radius: 6px;
    padding: 6px 12px;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
    border-color: transparent;
  }
  button.danger {
    background: var(--error-color, #db4437);
    color: #fff;
    border-color: transparent;
  }
  select,
  input,
  textarea {
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #ccc);
    border-radius: 6px;
    padding: 6px 8px;
    min-width: 0;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    white-space: nowrap;
  }
  th,
  td {
    text-align: left;
    padding: 6px 10px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  tr.row {
    cursor: pointer;
  }
  tr.row:hover {
    background: var(--secondary-background-color, #f5f5f5);
  }
  tr.subtotal td {
    font-weight: 500;
    background: var(--secondary-background-color, #f5f5f5);
  }
  .chart svg {
    width: 100%;
    height: auto;
  }
  .chart {
    margin: 0;
  }
  .axis {
    stroke: var(--divider-color, #bbb);
  }
  .tick {
    font-size: 12px;
    fill: var(--secondary-text-color, #727272);
  }
  .curve {
    fill: none;
    stroke-width: 2;
  }
  .curve-power {
    stroke: var(--primary-color, #03a9f4);
  }
  .curve-level {
    stroke: var(--success-color, #43a047);
  }
  .route {
    fill: none;
    stroke: var(--primary-color, #03a9f4);
    stroke-width: 3;
  }
  circle.start,
  .key.start {
    fill: var(--success-color, #43a047);
    background: var(--success-color, #43a047);
  }
  circle.end,
  .key.end {
    fill: var(--error-color, #db4437);
    background: var(--error-color, #db4437);
  }
  .dot {
    fill: #00897b;
  }
  .place circle {
    fill: var(--primary-color, #03a9f4);
    fill-opacity: 0.45;
    stroke: var(--primary-color, #03a9f4);
  }
  .bar.solar,
  .key.solar {
    fill: #fbc02d;
    background: #fbc02d;
  }
  .bar.battery,
  .key.battery {
    fill: #8e24aa;
    background: #8e24aa;
  }
  .bar.from-grid,
  .key.from-grid {
    fill: #607d8b;
    background: #607d8b;
  }
  .bar.energy,
  .key.energy {
    fill: var(--primary-color, #03a9f4);
    background: var(--primary-color, #03a9f4);
  }
  .bar.cost,
  .key.cost {
    fill: #ef6c00;
    background: #ef6c00;
  }
  .bar.efficiency,
  .key.efficiency {
    fill: #00897b;
    background: #00897b;
  }
  .key {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 2px;
    margin-left: 8px;
  }
  .key.power {
    background: var(--primary-color, #03a9f4);
  }
  .key.level {
    background: var(--success-color, #43a047);
  }
  .legend {
    white-space: nowrap;
  }
  figcaption {
    font-size: 13px;
    color: var(--secondary-text-color, #727272);
  }
`;
